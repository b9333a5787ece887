"""LiteLLM 1.110.2 sample responses (copied from the project's reference material) used as test fixtures."""

from __future__ import annotations

from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parent / "fixtures" / "litellm_samples"
