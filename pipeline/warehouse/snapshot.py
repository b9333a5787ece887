"""Publish a read-only copy of the marts next to the warehouse: ``<db>.marts.duckdb``.

The copy is written to a temporary file in the same directory through ``ATTACH`` on the writer's
connection (``CREATE TABLE AS`` per mart, sorted by ``hour``/``date`` when present so range filters skip
row groups, table and column comments copied, ``CHECKPOINT`` + ``DETACH`` so no WAL remains), then moved
into place with ``os.replace``. Readers open the snapshot read-only and never
contend with the single writer of the main file; a reader holding the previous snapshot open keeps reading
that (complete) file.

Besides ``marts.*`` the snapshot holds ``main.marts_meta`` (one row): ``published_at TIMESTAMPTZ``,
``is_demo BOOLEAN`` (copied from ``raw.extract_source``; NULL when the warehouse has no source recorded),
``table_count INTEGER``; and ``main.hourly_totals``, a serving rollup of ``marts.hourly_usage`` per hour
(all teams and model groups: summed counts, request-weighted latency sums and their weights, max p95) that
answers unfiltered hourly queries without aggregating every (hour, team, model group) row.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

import duckdb

SNAPSHOT_SUFFIX = ".marts.duckdb"
META_TABLE = "marts_meta"
HOURLY_TOTALS_TABLE = "hourly_totals"
_HOURLY_TOTALS_SQL = """
SELECT hour, date,
    sum(api_requests)::BIGINT AS api_requests, sum(successful_requests)::BIGINT AS successful_requests,
    sum(failed_requests)::BIGINT AS failed_requests, sum(prompt_tokens)::BIGINT AS prompt_tokens,
    sum(completion_tokens)::BIGINT AS completion_tokens, sum(total_tokens)::BIGINT AS total_tokens,
    sum(spend)::DOUBLE AS spend,
    sum(latency_p50_ms::DOUBLE * api_requests) AS latency_p50_ms_weighted,
    sum(CASE WHEN latency_p50_ms IS NOT NULL THEN api_requests END)::BIGINT AS latency_p50_ms_weight,
    sum(latency_p95_ms::DOUBLE * api_requests) AS latency_p95_ms_weighted,
    sum(CASE WHEN latency_p95_ms IS NOT NULL THEN api_requests END)::BIGINT AS latency_p95_ms_weight,
    max(latency_p95_ms)::DOUBLE AS latency_p95_ms_max
FROM {source}.marts.hourly_usage GROUP BY hour, date ORDER BY hour
"""


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
        source = _ident(conn.execute("SELECT current_database()").fetchall()[0][0])
        conn.execute(f"ATTACH {_literal(str(tmp))} AS {alias}")
        attached = True
        _copy(conn, source, alias, tables)
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


def _copy(
    conn: duckdb.DuckDBPyConnection, source: str, alias: str, tables: list[tuple[str, str | None]]
) -> None:
    columns = conn.execute(
        "SELECT table_name, column_name, comment FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'marts' AND comment IS NOT NULL"
    ).fetchall()
    is_demo = _is_demo(conn, source)
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(f"CREATE SCHEMA {alias}.marts")
        for table, comment in tables:
            name = f"{alias}.marts.{_ident(table)}"
            order = _sort_key(conn, table)
            conn.execute(f"CREATE TABLE {name} AS SELECT * FROM {source}.marts.{_ident(table)}{order}")
            if comment:
                conn.execute(f"COMMENT ON TABLE {name} IS {_literal(comment)}")
        for table, column, comment in columns:
            target = f"{alias}.marts.{_ident(table)}.{_ident(column)}"
            conn.execute(f"COMMENT ON COLUMN {target} IS {_literal(comment)}")
        if any(table == "hourly_usage" for table, _ in tables):
            rollup = _HOURLY_TOTALS_SQL.format(source=source)
            conn.execute(f"CREATE TABLE {alias}.main.{HOURLY_TOTALS_TABLE} AS {rollup}")
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


def _sort_key(conn: duckdb.DuckDBPyConnection, table: str) -> str:
    """`` ORDER BY hour`` / `` ORDER BY date`` when the table has one: readers filter on time ranges, and
    sorted row groups let DuckDB's zone maps skip everything outside the range."""
    columns = {
        name
        for (name,) in conn.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = 'marts' AND table_name = ?",
            [table],
        ).fetchall()
    }
    for key in ("hour", "date"):
        if key in columns:
            return f" ORDER BY {key}"
    return ""


def _is_demo(conn: duckdb.DuckDBPyConnection, source: str) -> bool | None:
    exists = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'raw' AND table_name = 'extract_source'"
    ).fetchall()[0][0]
    if not exists:
        return None
    return conn.execute(f"SELECT bool_or(is_demo) FROM {source}.raw.extract_source").fetchall()[0][0]


def _ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    """A SQL string literal (for statements that take no parameters: ATTACH, COMMENT ON)."""
    return "'" + text.replace("'", "''") + "'"
