"""The Dagster code location ``litellm_usage``: everything under ``pipeline/defs``."""

from __future__ import annotations

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    """Load every module of ``pipeline/defs`` (each contributes one ``@dg.definitions`` function)."""
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
