"""Publish a read-only copy of the marts next to the warehouse: ``<db>.marts.duckdb``.

The copy is written to a temporary file in the same directory through ``ATTACH`` on the writer's
connection (``CREATE TABLE AS`` per mart, table and column comments copied, ``CHECKPOINT`` + ``DETACH`` so
no WAL remains), then moved into place with ``os.replace``. Readers open the snapshot read-only and never
contend with the single writer of the main file; a reader holding the previous snapshot open keeps reading
that (complete) file.

Besides ``marts.*`` the snapshot holds ``main.marts_meta`` (one row): ``published_at TIMESTAMPTZ``,
``is_demo BOOLEAN`` (copied from ``raw.extract_source``; NULL when the warehouse has no source recorded),
``table_count INTEGER``.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

import duckdb

SNAPSHOT_SUFFIX = ".marts.duckdb"
META_TABLE = "marts_meta"


class SnapshotError(RuntimeError):
    """The snapshot could not be published (e.g. the warehouse has no marts yet)."""


def snapshot_path(db_path: str | os.PathLike[str]) -> Path:
    """``data/usage.duckdb`` -> ``data/usage.marts.duckdb``."""
    path = Path(db_path)
    base = path.name[: -len(".duckdb")] if path.name.endswith(".duckdb") else path.name
    return path.with_name(base + SNAPSHOT_SUFFIX)


def publish_snapshot(db_path: str | os.PathLike[str]) -> Path:
    """Open the warehouse for writing (single-writer lock), publish its marts, return the snapshot path."""
    from pipeline.warehouse.connection import write_connection

    with write_connection(Path(db_path)) as conn:
        return publish_snapshot_from(conn, db_path)


def publish_snapshot_from(conn: duckdb.DuckDBPyConnection, db_path: str | os.PathLike[str]) -> Path:
    """Publish the marts readable through ``conn`` (an open write connection on ``db_path``)."""
    target = snapshot_path(db_path)
    tables = _mart_tables(conn)
    if not tables:
        raise SnapshotError(f"no marts.* tables in {db_path}: build the marts before publishing")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
    alias = f"snapshot_{uuid.uuid4().hex[:12]}"
    attached = False
    try:
        conn.execute(f"ATTACH {_literal(str(tmp))} AS {alias}")
        attached = True
        _copy(conn, alias, tables)
        conn.execute(f"CHECKPOINT {alias}")
        conn.execute(f"DETACH {alias}")
        attached = False
        os.replace(tmp, target)
    except BaseException:
        if attached:
            with contextlib.suppress(duckdb.Error):
                conn.execute(f"DETACH {alias}")
        for leftover in (tmp, Path(f"{tmp}.wal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
        raise
    return target


def _mart_tables(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None]]:
    return conn.execute(
        "SELECT table_name, comment FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = 'marts' ORDER BY table_name"
    ).fetchall()


def _copy(conn: duckdb.DuckDBPyConnection, alias: str, tables: list[tuple[str, str | None]]) -> None:
    columns = conn.execute(
        "SELECT table_name, column_name, comment FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'marts' AND comment IS NOT NULL"
    ).fetchall()
    is_demo = _is_demo(conn)
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(f"CREATE SCHEMA {alias}.marts")
        for table, comment in tables:
            name = f'{alias}.marts."{table}"'
            conn.execute(f'CREATE TABLE {name} AS SELECT * FROM marts."{table}"')
            if comment:
                conn.execute(f"COMMENT ON TABLE {name} IS {_literal(comment)}")
        for table, column, comment in columns:
            conn.execute(f'COMMENT ON COLUMN {alias}.marts."{table}"."{column}" IS {_literal(comment)}')
        conn.execute(
            f"CREATE TABLE {alias}.main.{META_TABLE} AS "
            "SELECT now() AS published_at, ?::BOOLEAN AS is_demo, ?::INTEGER AS table_count",
            [is_demo, len(tables)],
        )
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            conn.execute("ROLLBACK")
        raise


def _is_demo(conn: duckdb.DuckDBPyConnection) -> bool | None:
    exists = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'raw' AND table_name = 'extract_source'"
    ).fetchall()[0][0]
    if not exists:
        return None
    return conn.execute("SELECT bool_or(is_demo) FROM raw.extract_source").fetchall()[0][0]


def _literal(text: str) -> str:
    """A SQL string literal (for statements that take no parameters: ATTACH, COMMENT ON)."""
    return "'" + text.replace("'", "''") + "'"
