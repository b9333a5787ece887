"""Materialization metadata shared by the assets: row counts, column schema, a small markdown preview."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

import dagster as dg
import duckdb
import polars as pl

from pipeline.defs.partitions import window_days

PREVIEW_ROWS = 5


def window_bounds(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> tuple[datetime, datetime]:
    """The run's half-open partition time window ``[start, end)`` (a whole range in single-run backfills)."""
    window = context.partition_time_window
    return window.start, window.end


def window_span(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> tuple[date, date]:
    """First and last UTC day of the run's partition window (both inclusive)."""
    days = window_days(*window_bounds(context))
    return days[0], days[-1]


def table_row_count(conn: duckdb.DuckDBPyConnection, table: str) -> int:
    """Rows in ``schema.table`` (identifier from our own code)."""
    return int(conn.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def column_schema(
    conn: duckdb.DuckDBPyConnection, table: str, docs: Mapping[str, str] | None = None
) -> dg.TableSchema:
    """Column names and DuckDB types of ``schema.table``, described from the model header when documented."""
    schema, name = table.split(".", 1)
    rows = conn.execute(
        "SELECT column_name, data_type, comment FROM duckdb_columns() "
        "WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, name],
    ).fetchall()
    docs = docs or {}
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                str(col), str(dtype), description=docs.get(str(col)) or (str(comment) if comment else None)
            )
            for col, dtype, comment in rows
        ]
    )


def markdown_preview(df: pl.DataFrame) -> dg.MetadataValue:
    """A few rows as a markdown table (long strings are cut by polars)."""
    with pl.Config(
        tbl_formatting="MARKDOWN",
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=True,
        fmt_str_lengths=40,
        tbl_cols=12,
        tbl_width_chars=400,
    ):
        return dg.MetadataValue.md(str(df))


def table_preview(conn: duckdb.DuckDBPyConnection, table: str, columns: str = "*") -> dg.MetadataValue:
    """The first rows of ``schema.table`` (our identifiers) as markdown."""
    return markdown_preview(conn.sql(f"SELECT {columns} FROM {table} LIMIT {PREVIEW_ROWS}").pl())


def table_metadata(
    conn: duckdb.DuckDBPyConnection, table: str, partition_rows: int | None
) -> dict[str, object]:
    """The standard ``dagster/*`` table keys."""
    metadata: dict[str, object] = {
        "dagster/table_name": table,
        "dagster/row_count": dg.MetadataValue.int(table_row_count(conn, table)),
    }
    if partition_rows is not None:
        metadata["dagster/partition_row_count"] = dg.MetadataValue.int(partition_rows)
    return metadata
