"""Bulk loaders for the raw layer: spooled pages -> ``raw.*`` in one transaction per load.

Every load deletes the partition days it replaces and inserts from DuckDB's JSON reader over the spooled
files, in one transaction, so a reload is idempotent and a failure leaves the previous data intact. No
row-by-row inserts.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import duckdb

from pipeline.warehouse.connection import memory_limit, transaction
from pipeline.warehouse.errors import MixedSourceError, RawDataError, RawLoadError
from pipeline.warehouse.spool import DailySpool, SpendLogSpool, Spool

log = logging.getLogger(__name__)

DAILY_TABLE = "raw.team_daily_activity"
SPEND_TABLE = "raw.spend_logs"

_MIN_OBJECT_SIZE = 8 * 2**20
LOAD_MEMORY_LIMIT = "256MB"
BATCH_BYTES = 64 * 2**20
"""DuckDB memory limit while landing spend logs: the staging table spills to disk, keeping RSS bounded."""

_DAILY_MANIFEST = (
    "read_json(?, format='newline_delimited', columns={"
    "'file': 'VARCHAR', 'seq': 'BIGINT', 'partition_date': 'DATE', 'scope': 'VARCHAR', 'team_id': 'VARCHAR', "
    "'page': 'INTEGER', 'total_pages': 'INTEGER', 'endpoint': 'VARCHAR', 'request_params': 'JSON', "
    "'payload_bytes': 'BIGINT', 'item_count': 'BIGINT'})"
)
_SPEND_MANIFEST = (
    "read_json(?, format='newline_delimited', columns={"
    "'file': 'VARCHAR', 'seq': 'BIGINT', 'window_start': 'TIMESTAMPTZ', 'window_end': 'TIMESTAMPTZ', "
    "'page': 'INTEGER', 'total_pages': 'INTEGER', 'endpoint': 'VARCHAR', 'request_params': 'JSON', "
    "'payload_bytes': 'BIGINT', 'item_count': 'BIGINT'})"
)
_DAYS_PREDICATE = "partition_date BETWEEN ? AND ? AND list_contains(?::DATE[], partition_date)"


@dataclass(frozen=True, slots=True)
class ExtractSource:
    """Where the data came from; ``is_demo`` is the client's ``source_is_demo``."""

    url: str
    is_demo: bool


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one raw load did (report it as run metadata)."""

    table: str
    days: tuple[date, ...]
    rows_inserted: int
    rows_deleted: int
    pages: int
    bytes: int
    duplicates_dropped: int = 0
    out_of_range_dropped: int = 0
    seconds: float = 0.0

    def as_metadata(self) -> dict[str, Any]:
        """Plain values for run metadata."""
        data = asdict(self)
        data["days"] = [day.isoformat() for day in self.days]
        return data


def _days(days: Iterable[date]) -> tuple[date, ...]:
    ordered = tuple(sorted(set(days)))
    if not ordered:
        raise RawLoadError("A raw load needs at least one partition day to replace.")
    return ordered


def _days_params(days: Sequence[date]) -> list[Any]:
    return [days[0], days[-1], list(days)]


def _scalar(conn: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> Any:
    row = conn.execute(sql, list(params or [])).fetchone()
    return None if row is None else row[0]


def _changed(conn: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any]) -> int:
    rows = conn.execute(sql, list(params)).fetchall()
    return int(rows[0][0]) if rows else 0


def _object_size(spool: Spool) -> int:
    return max(_MIN_OBJECT_SIZE, 2 * spool.max_page_bytes)


def _run_load(table: str, conn: duckdb.DuckDBPyConnection, body: Any) -> Any:
    try:
        with transaction(conn):
            return body()
    except duckdb.Error as exc:
        raise RawLoadError(
            f"Loading {table} failed and was rolled back; the previous data is intact. DuckDB said: {exc}"
        ) from exc


def load_daily_activity(
    conn: duckdb.DuckDBPyConnection,
    spool: DailySpool,
    days: Iterable[date],
    run_id: str,
    extracted_at: datetime,
    *,
    source: ExtractSource | None = None,
) -> LoadResult:
    """Replace ``days`` of ``raw.team_daily_activity`` with the spooled pages (one row per page, as received).

    Pages for days outside ``days`` are dropped and counted; a page read twice (same day, scope and page
    number) keeps the copy spooled last.
    """
    wanted = _days(days)
    started = time.monotonic()
    day_params = _days_params(wanted)

    def body() -> tuple[int, int, int, int]:
        if source is not None:
            _guard_source(conn, source, extracted_at)
        deleted = _changed(conn, f"DELETE FROM {DAILY_TABLE} WHERE {_DAYS_PREDICATE}", day_params)
        if spool.pages == 0:
            return deleted, 0, 0, 0
        conn.execute(
            f"CREATE OR REPLACE TEMP TABLE _daily_manifest AS SELECT * FROM {_DAILY_MANIFEST}",
            [str(spool.manifest)],
        )
        out_of_range, duplicates = conn.execute(
            """
            SELECT count(*) FILTER (WHERE NOT list_contains(?::DATE[], partition_date)),
                   count(*) FILTER (WHERE list_contains(?::DATE[], partition_date))
                   - count(DISTINCT (partition_date, scope, page))
                       FILTER (WHERE list_contains(?::DATE[], partition_date))
            FROM _daily_manifest
            """,
            [list(wanted)] * 3,
        ).fetchall()[0]
        inserted = _changed(
            conn,
            f"""
            INSERT INTO {DAILY_TABLE} BY NAME
            SELECT m.partition_date, m.scope, m.team_id, m.page, m.total_pages, m.endpoint, m.request_params,
                   b.content::JSON AS payload, m.payload_bytes,
                   ?::TIMESTAMPTZ AS extracted_at, ? AS run_id
            FROM _daily_manifest AS m
            JOIN read_text(?) AS b ON parse_filename(b.filename) = m.file
            WHERE list_contains(?::DATE[], m.partition_date)
            QUALIFY row_number() OVER (PARTITION BY m.partition_date, m.scope, m.page ORDER BY m.seq DESC) = 1
            """,
            [extracted_at, run_id, spool.files(), list(wanted)],
        )
        conn.execute("DROP TABLE _daily_manifest")
        return deleted, inserted, int(duplicates), int(out_of_range)

    deleted, inserted, duplicates, out_of_range = _run_load(DAILY_TABLE, conn, body)
    result = LoadResult(
        table=DAILY_TABLE,
        days=wanted,
        rows_inserted=inserted,
        rows_deleted=deleted,
        pages=spool.pages,
        bytes=spool.bytes,
        duplicates_dropped=duplicates,
        out_of_range_dropped=out_of_range,
        seconds=time.monotonic() - started,
    )
    _log_result(result)
    return result


def load_spend_logs(
    conn: duckdb.DuckDBPyConnection,
    spool: SpendLogSpool,
    days: Iterable[date],
    run_id: str,
    extracted_at: datetime,
    *,
    source: ExtractSource | None = None,
    load_memory_limit: str = LOAD_MEMORY_LIMIT,
    batch_bytes: int = BATCH_BYTES,
) -> LoadResult:
    """Replace ``days`` of ``raw.spend_logs`` with the spooled rows, one row per request.

    Rows whose UTC start day is outside ``days`` are dropped and counted. Duplicate ``request_id`` s
    (adjacent windows share their boundary second) keep the copy from the earliest window, page and position;
    the rest are counted. A row without ``request_id`` or a parseable ``startTime`` raises ``RawDataError``.
    The pages are read in batches of about ``batch_bytes`` (memory stays bounded whatever the load size), all
    inside the one transaction.
    """
    wanted = _days(days)
    started = time.monotonic()
    day_params = _days_params(wanted)

    def body() -> tuple[int, int, int, int]:
        if source is not None:
            _guard_source(conn, source, extracted_at)
        deleted = _changed(conn, f"DELETE FROM {SPEND_TABLE} WHERE {_DAYS_PREDICATE}", day_params)
        if spool.pages == 0:
            return deleted, 0, 0, 0
        conn.execute(
            f"CREATE OR REPLACE TEMP TABLE _spend_manifest AS SELECT * FROM {_SPEND_MANIFEST}",
            [str(spool.manifest)],
        )
        conn.execute("CREATE OR REPLACE TEMP TABLE _spend_seen (request_id VARCHAR)")
        ordered = conn.execute(
            "SELECT file, payload_bytes FROM _spend_manifest ORDER BY window_start, window_end, page, seq"
        ).fetchall()
        total = in_range = inserted = 0
        for batch in _batches(ordered, batch_bytes):
            batch_total, batch_in_range, batch_inserted = _load_spend_batch(
                conn, spool, batch, wanted, run_id, extracted_at
            )
            total += batch_total
            in_range += batch_in_range
            inserted += batch_inserted
        conn.execute("DROP TABLE _spend_seen; DROP TABLE _spend_manifest")
        return deleted, inserted, in_range - inserted, total - in_range

    with memory_limit(conn, load_memory_limit):
        deleted, inserted, duplicates, out_of_range = _run_load(SPEND_TABLE, conn, body)
    result = LoadResult(
        table=SPEND_TABLE,
        days=wanted,
        rows_inserted=inserted,
        rows_deleted=deleted,
        pages=spool.pages,
        bytes=spool.bytes,
        duplicates_dropped=duplicates,
        out_of_range_dropped=out_of_range,
        seconds=time.monotonic() - started,
    )
    _log_result(result)
    return result


def _batches(files: list[tuple[str, int]], batch_bytes: int) -> Iterator[list[str]]:
    batch: list[str] = []
    size = 0
    for name, payload_bytes in files:
        if batch and size + payload_bytes > batch_bytes:
            yield batch
            batch, size = [], 0
        batch.append(name)
        size += payload_bytes
    if batch:
        yield batch


def _load_spend_batch(
    conn: duckdb.DuckDBPyConnection,
    spool: SpendLogSpool,
    names: list[str],
    wanted: Sequence[date],
    run_id: str,
    extracted_at: datetime,
) -> tuple[int, int, int]:
    """Stage one batch of pages, validate it, insert its first-seen in-range rows; returns counts."""
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _spend_stage AS
        SELECT parse_filename(filename) AS file, ord,
               NULLIF(row ->> 'request_id', '') AS request_id,
               row ->> 'startTime' AS start_raw,
               TRY_CAST(row ->> 'startTime' AS TIMESTAMPTZ) AS start_time,
               row AS payload
        FROM (
            SELECT filename, unnest(data) AS row, unnest(range(len(data))) AS ord
            FROM read_json(?, columns = {{'data': 'JSON[]'}}, format = 'auto', filename = true,
                           maximum_object_size = {_object_size(spool)})
        )
        """,
        [[str(spool.pages_dir / name) for name in names]],
    )
    _validate_spend_stage(conn, names)
    conn.execute(
        """
        CREATE OR REPLACE TEMP TABLE _spend_keep AS
        SELECT s.rowid AS rid, s.request_id
        FROM _spend_stage AS s JOIN _spend_manifest AS m USING (file)
        WHERE list_contains(?::DATE[], CAST(timezone('UTC', s.start_time) AS DATE))
          AND s.request_id NOT IN (SELECT request_id FROM _spend_seen)
        QUALIFY row_number() OVER (
            PARTITION BY s.request_id ORDER BY m.window_start, m.window_end, m.page, m.seq, s.ord) = 1
        """,
        [list(wanted)],
    )
    total, in_range = conn.execute(
        """
        SELECT count(*),
               count(*) FILTER (WHERE list_contains(?::DATE[], CAST(timezone('UTC', start_time) AS DATE)))
        FROM _spend_stage
        """,
        [list(wanted)],
    ).fetchall()[0]
    inserted = _changed(
        conn,
        f"""
        INSERT INTO {SPEND_TABLE} BY NAME
        SELECT request_id, start_time, CAST(timezone('UTC', start_time) AS DATE) AS partition_date,
               payload, ?::TIMESTAMPTZ AS extracted_at, ? AS run_id
        FROM _spend_stage WHERE rowid IN (SELECT rid FROM _spend_keep)
        """,
        [extracted_at, run_id],
    )
    conn.execute("INSERT INTO _spend_seen SELECT request_id FROM _spend_keep")
    conn.execute("DROP TABLE _spend_keep; DROP TABLE _spend_stage")
    return int(total), int(in_range), inserted


def _validate_spend_stage(conn: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    problems = conn.execute(
        """
        SELECT file, ord, request_id IS NULL AS no_id, start_raw
        FROM _spend_stage WHERE request_id IS NULL OR start_time IS NULL
        ORDER BY file, ord LIMIT 1
        """
    ).fetchall()
    if problems:
        file, ord_, no_id, start_raw = problems[0]
        if no_id:
            raise RawDataError(f"Spend-log row {ord_} in spooled page {file} has no 'request_id'.")
        what = "no 'startTime'" if start_raw is None else f"an unparseable 'startTime' {start_raw!r}"
        raise RawDataError(f"Spend-log row {ord_} in spooled page {file} has {what}.")
    mismatches = conn.execute(
        """
        SELECT m.file, m.item_count, coalesce(s.n, 0)
        FROM _spend_manifest AS m
        LEFT JOIN (SELECT file, count(*) AS n FROM _spend_stage GROUP BY file) AS s USING (file)
        WHERE list_contains(?, m.file) AND m.item_count <> coalesce(s.n, 0)
        ORDER BY m.file LIMIT 1
        """,
        [names],
    ).fetchall()
    if mismatches:
        file, expected, found = mismatches[0]
        raise RawDataError(
            f"Spooled spend-log page {file} has {found} rows under 'data' but the client counted {expected}."
        )


def load_reference(
    conn: duckdb.DuckDBPyConnection,
    *,
    teams: list[dict[str, Any]],
    keys: list[dict[str, Any]],
    deleted_keys: list[dict[str, Any]],
    models: list[dict[str, Any]],
    run_id: str,
    extracted_at: datetime,
    source: ExtractSource | None = None,
) -> dict[str, LoadResult]:
    """Replace ``raw.teams``, ``raw.keys`` (active + deleted) and ``raw.models`` whole, in one transaction."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="litellm-usage-ref-") as tmp:
        folder = Path(tmp)
        files = {
            "teams": _write_ndjson(folder / "teams.ndjson", teams, "team", "team_id"),
            "keys_active": _write_ndjson(folder / "keys_active.ndjson", keys, "key", "token"),
            "keys_deleted": _write_ndjson(
                folder / "keys_deleted.ndjson", deleted_keys, "deleted key", "token"
            ),
            "models": _write_ndjson(folder / "models.ndjson", models, "model", "model_name"),
        }
        select = {
            "raw.teams": ("SELECT json ->> 'team_id' AS team_id, json AS payload", ["teams"]),
            "raw.keys": ("SELECT json ->> 'token' AS token, ? AS status, json AS payload", []),
            "raw.models": (
                "SELECT json ->> 'model_name' AS model_name, json -> 'model_info' ->> 'id' AS model_id, "
                "json AS payload",
                ["models"],
            ),
        }

        def insert(table: str, projection: str, file: Path, extra: list[Any]) -> int:
            if file.stat().st_size == 0:
                return 0
            return _changed(
                conn,
                f"INSERT INTO {table} BY NAME {projection}, ?::TIMESTAMPTZ AS extracted_at, ? AS run_id "
                "FROM read_json_objects(?, format = 'newline_delimited')",
                [*extra, extracted_at, run_id, str(file)],
            )

        def body() -> dict[str, tuple[int, int]]:
            if source is not None:
                _guard_source(conn, source, extracted_at)
            counts: dict[str, tuple[int, int]] = {}
            for table, (projection, names) in select.items():
                deleted = _changed(conn, f"DELETE FROM {table}", [])
                if table == "raw.keys":
                    inserted = insert(table, projection, files["keys_active"], ["active"])
                    inserted += insert(table, projection, files["keys_deleted"], ["deleted"])
                else:
                    inserted = insert(table, projection, files[names[0]], [])
                counts[table] = (inserted, deleted)
            return counts

        counts = _run_load("raw reference tables", conn, body)
    elapsed = time.monotonic() - started
    results = {
        table: LoadResult(
            table=table,
            days=(),
            rows_inserted=inserted,
            rows_deleted=deleted,
            pages=0,
            bytes=0,
            seconds=elapsed,
        )
        for table, (inserted, deleted) in counts.items()
    }
    for result in results.values():
        _log_result(result)
    return results


def _write_ndjson(path: Path, items: list[dict[str, Any]], what: str, required: str) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise RawDataError(f"{what.capitalize()} #{index} is a {type(item).__name__}, not an object.")
            value = item.get(required)
            if value is None or value == "":
                raise RawDataError(f"{what.capitalize()} #{index} has no {required!r}.")
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
    return path


def public_source_url(url: str) -> str:
    """``url`` without credentials, query or fragment (what ``raw.extract_source`` stores)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _kind(is_demo: bool) -> str:
    return "demo gateway (synthetic data)" if is_demo else "real LiteLLM"


def _guard_source(conn: duckdb.DuckDBPyConnection, source: ExtractSource, now: datetime) -> None:
    url = public_source_url(source.url)
    other = conn.execute(
        "SELECT source_url FROM raw.extract_source WHERE is_demo <> ? ORDER BY first_loaded_at LIMIT 1",
        [source.is_demo],
    ).fetchall()
    if other:
        db = _scalar(conn, "SELECT path FROM duckdb_databases() WHERE database_name = current_database()")
        raise MixedSourceError(
            f"The warehouse {db or '(in memory)'} already holds data from a "
            f"{_kind(not source.is_demo)} source ({other[0][0]}); refusing to load {_kind(source.is_demo)} "
            f"data from {url} into it, because demo data never mixes with real data. Point "
            "LITELLM_USAGE_DB at another file, or delete the demo warehouse file and refresh again."
        )
    updated = _changed(
        conn,
        "UPDATE raw.extract_source SET last_loaded_at = ? WHERE source_url = ? AND is_demo = ?",
        [now, url, source.is_demo],
    )
    if updated == 0:
        conn.execute(
            "INSERT INTO raw.extract_source (source_url, is_demo, first_loaded_at, last_loaded_at) "
            "VALUES (?, ?, ?, ?)",
            [url, source.is_demo, now, now],
        )


def record_source(conn: duckdb.DuckDBPyConnection, source_url: str, is_demo: bool, now: datetime) -> None:
    """Check and record the extraction source in its own transaction (loaders do this with ``source=``)."""
    try:
        with transaction(conn):
            _guard_source(conn, ExtractSource(source_url, is_demo), now)
    except duckdb.Error as exc:
        raise RawLoadError(f"Recording the extraction source failed: {exc}") from exc


def _log_result(result: LoadResult) -> None:
    log.info(
        "%s: %d rows inserted, %d replaced, %d pages, %d bytes in %.2f s",
        result.table,
        result.rows_inserted,
        result.rows_deleted,
        result.pages,
        result.bytes,
        result.seconds,
    )
    if result.duplicates_dropped:
        log.info("%s: dropped %d duplicate rows", result.table, result.duplicates_dropped)
    if result.out_of_range_dropped:
        log.info(
            "%s: dropped %d rows outside the loaded days %s..%s",
            result.table,
            result.out_of_range_dropped,
            result.days[0] if result.days else "",
            result.days[-1] if result.days else "",
        )
