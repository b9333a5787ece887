"""Raw-layer DDL: schemas ``raw``, ``staging``, ``marts`` and every ``sql/raw/*.sql`` table."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.paths import SQL_DIR

SCHEMAS: tuple[str, ...] = ("raw", "staging", "marts")
RAW_SQL_DIR = SQL_DIR / "raw"


def raw_ddl_files(directory: Path = RAW_SQL_DIR) -> list[Path]:
    """The raw DDL files, one table per file, in name order."""
    return sorted(directory.glob("*.sql"))


def ensure_schemas(conn: duckdb.DuckDBPyConnection, *, ddl_dir: Path = RAW_SQL_DIR) -> None:
    """Create the schemas and raw tables if missing (idempotent, one transaction)."""
    statements = [f"CREATE SCHEMA IF NOT EXISTS {name}" for name in SCHEMAS]
    statements += [path.read_text(encoding="utf-8") for path in raw_ddl_files(ddl_dir)]
    conn.execute("BEGIN TRANSACTION")
    try:
        for sql in statements:
            conn.execute(sql)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
