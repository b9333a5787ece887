"""Short read-only access to the marts: the published snapshot first, the main warehouse file as fallback.

Inside one process the read-only connection to a snapshot is reused while the file is unchanged (same inode,
mtime and size) and re-opened after `publish_snapshot` replaces it, so each query costs one SQL statement.
The main file is only opened (read-only, bounded lock retry) when no snapshot exists, and closed right after.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import polars as pl

from pipeline.paths import warehouse_path
from pipeline.query.errors import WarehouseUnavailableError
from pipeline.query.params import NameIndex
from pipeline.warehouse.snapshot import META_TABLE, SNAPSHOT_SUFFIX, snapshot_path

Source = Literal["snapshot", "warehouse"]


_POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "BIGINT": pl.Int64(),
    "INTEGER": pl.Int32(),
    "DOUBLE": pl.Float64(),
    "BOOLEAN": pl.Boolean(),
    "DATE": pl.Date(),
    "TIMESTAMP WITH TIME ZONE": pl.Datetime("us", "UTC"),
}
_MODELS_SQL = "SELECT DISTINCT model, model_group FROM marts.model_usage_daily"
READER_THREADS = 1
"""DuckDB threads per reader connection: the queries are small; one thread has the least overhead."""


@dataclass
class Reader:
    """One open read-only connection plus name lookups cached for its lifetime."""

    conn: duckdb.DuckDBPyConnection
    source: Source
    path: Path
    cache: dict[str, Any] = field(default_factory=dict)

    def frame(self, sql: str, params: Sequence[object] = (), *, small: bool = False) -> pl.DataFrame:
        """Run one SELECT with ``?`` parameters and return it fully fetched as polars.

        ``small=True`` (results of at most a few hundred rows) builds the frame from fetched rows with a
        schema mapped from DuckDB's types, skipping the Arrow round trip's fixed cost; a type without a
        mapping falls back to Arrow.
        """
        if small:
            result = self.conn.execute(sql, list(params))
            rows = result.fetchall()
            schema = {name: _POLARS_TYPES.get(str(kind)) for name, kind, *_ in result.description}
            if all(dtype is not None for dtype in schema.values()):
                return pl.DataFrame(rows, schema=schema, orient="row")
        return self.conn.sql(sql, params=list(params)).pl()

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, list(params)).fetchall()

    def _cached(self, key: str, sql: str) -> list[tuple[Any, ...]]:
        if key not in self.cache:
            self.cache[key] = self.rows(sql)
        return self.cache[key]

    def _index(self, key: str, kind: str, sql: str) -> NameIndex:
        if key not in self.cache:
            self.cache[key] = NameIndex.build(kind, self._cached(f"{key}:rows", sql))
        return self.cache[key]

    def teams(self) -> NameIndex:
        """Team ids and aliases in ``marts.team_usage_daily`` (an alias selects every id that carries it)."""
        return self._index("teams", "team", "SELECT DISTINCT team_id, team_alias FROM marts.team_usage_daily")

    def models(self) -> NameIndex:
        """Models and model groups in ``marts.model_usage_daily`` (a group selects each of its models)."""
        return self._index("models", "model", _MODELS_SQL)

    def model_groups(self) -> NameIndex:
        """Model groups in ``marts.hourly_usage`` and ``marts.model_usage_daily``."""
        return self._index(
            "model_groups",
            "model group",
            "SELECT model_group, NULL FROM marts.hourly_usage "
            "UNION SELECT model_group, NULL FROM marts.model_usage_daily",
        )

    def model_to_group(self) -> dict[str, str]:
        rows = self._cached("models:rows", _MODELS_SQL)
        return {model: group for model, group in rows if model is not None and group is not None}

    def has_table(self, schema: str, table: str) -> bool:
        """Whether ``schema.table`` exists in what this reader opened (cached)."""
        key = f"has:{schema}.{table}"
        if key not in self.cache:
            self.cache[key] = bool(
                self.rows(
                    "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
                    "AND schema_name = ? AND table_name = ?",
                    [schema, table],
                )[0][0]
            )
        return self.cache[key]

    def is_demo(self) -> bool | None:
        """Whether the data came from the demo gateway (None when unknown)."""
        if self.source == "snapshot":
            if not self.has_table("main", META_TABLE):
                return None
            return self._cached("is_demo", f"SELECT any_value(is_demo) FROM main.{META_TABLE}")[0][0]
        if not self.has_table("raw", "extract_source"):
            return None
        return self._cached("is_demo", "SELECT bool_or(is_demo) FROM raw.extract_source")[0][0]


@dataclass
class _Cached:
    stamp: tuple[int, ...]
    conn: duckdb.DuckDBPyConnection
    cache: dict[str, Any]


_CATALOG = "marts_snapshot"
_LOCK = threading.RLock()
_SNAPSHOTS: dict[str, _Cached] = {}


def resolve_paths(db: str | os.PathLike[str] | None) -> tuple[Path, Path]:
    """(main warehouse file, snapshot file); ``db`` may also name a snapshot file directly."""
    main = Path(db) if db is not None else warehouse_path()
    if main.name.endswith(SNAPSHOT_SUFFIX):
        return main, main
    return main, snapshot_path(main)


@contextmanager
def reader(db: str | os.PathLike[str] | None = None) -> Iterator[Reader]:
    """A read-only `Reader` on the snapshot of ``db`` (default ``warehouse_path()``), else on ``db``."""
    main, snap = resolve_paths(db)
    try:
        stat = os.stat(snap)
    except FileNotFoundError:
        stat = None
    if stat is not None:
        stamp = (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)
        with _LOCK:
            key = str(snap.resolve())
            entry = _SNAPSHOTS.get(key)
            if entry is None or entry.stamp != stamp:
                if entry is not None:
                    del _SNAPSHOTS[key]
                    entry.conn.close()
                conn = _open_snapshot(snap)
                entry = _SNAPSHOTS[key] = _Cached(stamp, conn, {})
            yield Reader(entry.conn, "snapshot", snap, entry.cache)
        return
    if not main.exists():
        raise WarehouseUnavailableError(
            f"no warehouse yet: run `litellm-usage refresh` (neither {snap} nor {main} exists)"
        )
    from pipeline.warehouse.connection import read_connection

    with read_connection(main) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        yield Reader(conn, "warehouse", main)


def _open_snapshot(path: Path) -> duckdb.DuckDBPyConnection:
    """Attach ``path`` read-only to a private in-memory instance.

    ``duckdb.connect(path)`` would reuse DuckDB's per-path instance cache, which may still hold the file that
    ``os.replace`` has since swapped out; a private instance always opens the file currently at ``path``.
    """
    conn = duckdb.connect(":memory:")
    try:
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute(f"SET threads = {READER_THREADS}")
        escaped = str(path).replace("'", "''")
        conn.execute(f"ATTACH '{escaped}' AS {_CATALOG} (READ_ONLY)")
        conn.execute(f"USE {_CATALOG}")
    except BaseException:
        conn.close()
        raise
    return conn


def close_cached() -> None:
    """Close every cached snapshot connection in this process."""
    with _LOCK:
        for entry in _SNAPSHOTS.values():
            entry.conn.close()
        _SNAPSHOTS.clear()
