"""Project locations and the warehouse path, resolved in one place."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = PROJECT_ROOT / "sql"
DATA_DIR = PROJECT_ROOT / "data"

DB_ENV_VAR = "LITELLM_USAGE_DB"
DEFAULT_DB_PATH = Path("data") / "usage.duckdb"


def warehouse_path(environ: os._Environ[str] | dict[str, str] | None = None) -> Path:
    """The DuckDB file: ``$LITELLM_USAGE_DB`` or ``data/usage.duckdb`` (relative to the working directory)."""
    env = os.environ if environ is None else environ
    value = env.get(DB_ENV_VAR, "").strip()
    return Path(value) if value else DEFAULT_DB_PATH
