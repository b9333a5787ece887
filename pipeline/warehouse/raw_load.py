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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

import duckdb

from pipeline.warehouse.connection import bulk_load_settings, transaction
from pipeline.warehouse.errors import MixedSourceError, RawDataError, RawLoadError
from pipeline.warehouse.spool import DailySpool, SpendLogSpool, Spool

log = logging.getLogger(__name__)

DAILY_TABLE = "raw.team_daily_activity"
SPEND_TABLE = "raw.spend_logs"

_MIN_OBJECT_SIZE = 8 * 2**20
LOAD_MEMORY_LIMIT = "320MB"
LOAD_THREADS = 2
"""DuckDB memory limit and thread cap while landing spend logs: inserted row groups spill to disk, keeping RSS
bounded. Each thread needs about 150 MB for ~3 KB rows in ~2 MB pages (4 threads at 320MB run out of memory),
so raise both together."""

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

    return _finished(DAILY_TABLE, wanted, spool, _run_load(DAILY_TABLE, conn, body), started)


def load_spend_logs(
    conn: duckdb.DuckDBPyConnection,
    spool: SpendLogSpool,
    days: Iterable[date],
    run_id: str,
    extracted_at: datetime,
    *,
    source: ExtractSource | None = None,
    load_memory_limit: str = LOAD_MEMORY_LIMIT,
    load_threads: int = LOAD_THREADS,
) -> LoadResult:
    """Replace ``days`` of ``raw.spend_logs`` with the spooled rows, one row per request.

    Streaming ``INSERT`` s over the spooled pages keep the rows whose UTC start day is in ``days``. Adjacent
    windows share their boundary second, so a row at a boundary arrives twice: the copy from the window that
    starts there is kept, the earlier window's is skipped. Windows read over several OFFSET pages (one dense
    second) can repeat rows among their pages; those are deduplicated on ``request_id`` keeping the smallest
    payload text. Duplicates are never deleted from the rows just inserted, because any delete makes DuckDB
    rewrite the whole insert at commit (about 20 s and 110 MB more per million rows); only if a duplicate
    still shows up (an upstream surprise) are the extra copies deleted, with a warning. Skipped rows are
    counted as duplicates or out of range. A kept row without ``request_id`` or a parseable ``startTime``
    raises ``RawDataError``.
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
        conn.execute(_SPEND_PAGES_SQL, [str(spool.manifest), list(wanted), list(wanted)])
        pages = [
            _SpoolPage(*row)
            for row in conn.execute(
                f"SELECT {', '.join(_SpoolPage._fields)} FROM {_SPEND_PAGES} ORDER BY seq"
            ).fetchall()
        ]
        total = int(_scalar(conn, f"SELECT coalesce(sum(item_count), 0) FROM {_SPEND_PAGES}"))
        conn.execute(f"DROP TABLE {_SPEND_PAGES}")
        bounds: list[datetime | None] = [None] * max(page.seq for page in pages)
        for page in pages:
            bounds[page.seq - 1] = page.superseded_from

        def files(pick: Callable[[_SpoolPage], bool]) -> list[str]:
            return [str(spool.pages_dir / page.file) for page in pages if pick(page)]

        size = _object_size(spool)
        kept = 0
        for group, dedupe in (
            (files(lambda p: not p.offset_paged), ""),
            (files(lambda p: p.offset_paged), _DEDUPE_OFFSET_PAGES),
        ):
            if group:
                kept += _changed(
                    conn,
                    f"""
                    INSERT INTO {SPEND_TABLE} BY NAME
                    SELECT CASE WHEN request_id IS NULL THEN error({_row_error("no 'request_id'")})
                                ELSE request_id END AS request_id,
                           start_time, partition_date, payload,
                           ?::TIMESTAMPTZ AS extracted_at, ? AS run_id
                    FROM {_spend_rows(size)}
                    WHERE list_contains(?::DATE[], partition_date)
                    {dedupe}
                    """,
                    [extracted_at, run_id, bounds, group, list(wanted)],
                )
        edges = files(lambda p: p.may_leave_range)
        out_of_range = 0
        if edges:
            out_of_range = int(
                _scalar(
                    conn,
                    # a row repeated across the pages of an OFFSET-paged window is out of range once
                    "SELECT count(DISTINCT coalesce(request_id, file || ':' || ord)) "
                    f"FROM {_spend_rows(size)} WHERE NOT list_contains(?::DATE[], partition_date)",
                    [bounds, edges, list(wanted)],
                )
            )
        removed = _remove_leftover_duplicates(conn, day_params)
        return deleted, kept - removed, max(total - kept - out_of_range, 0) + removed, out_of_range

    with bulk_load_settings(conn, load_memory_limit, load_threads):
        try:
            deleted, inserted, duplicates, out_of_range = _run_load(SPEND_TABLE, conn, body)
        except RawLoadError as exc:
            marker = str(exc).find(_ROW_ERROR_PREFIX)
            if marker >= 0:
                raise RawDataError(str(exc)[marker:].splitlines()[0]) from exc
            raise
    return _finished(SPEND_TABLE, wanted, spool, (deleted, inserted, duplicates, out_of_range), started)


_SPEND_PAGES = "_spend_pages"
_SPEND_PAGES_SQL = f"""
CREATE OR REPLACE TEMP TABLE {_SPEND_PAGES} AS
WITH pages AS (SELECT seq, file, item_count, window_start, window_end FROM {_SPEND_MANIFEST})
SELECT p.seq, p.file, p.item_count,
       -- bounds are inclusive: rows at or after a window's end belong to the window starting there
       CASE WHEN EXISTS (SELECT 1 FROM pages AS n
                         WHERE n.window_start = p.window_end AND n.window_start > p.window_start)
            THEN p.window_end END AS superseded_from,
       count(*) OVER (PARTITION BY p.window_start, p.window_end) > 1 AS offset_paged,
       NOT (list_contains(?::DATE[], CAST(timezone('UTC', p.window_start) AS DATE))
            AND list_contains(?::DATE[], CAST(timezone('UTC', p.window_end) AS DATE))
            AND date_diff('day', CAST(timezone('UTC', p.window_start) AS DATE),
                          CAST(timezone('UTC', p.window_end) AS DATE)) <= 1) AS may_leave_range
FROM pages AS p
"""
"""One row per spooled page: whose rows a later window supersedes, whether its window was OFFSET-paged, and
whether its window reaches beyond ``days`` (only such pages can hold out-of-range rows)."""


class _SpoolPage(NamedTuple):
    """A row of ``_SPEND_PAGES``."""

    seq: int
    file: str
    superseded_from: datetime | None
    offset_paged: bool
    may_leave_range: bool


_DEDUPE_OFFSET_PAGES = "QUALIFY row_number() OVER (PARTITION BY request_id ORDER BY payload::VARCHAR) = 1"


def _spend_rows(object_size: int) -> str:
    """Spooled rows with lineage, minus rows a later window supersedes.

    Parameters, in order: each page's ``superseded_from`` indexed by its spool sequence number (page files are
    named ``<seq>.json``; a constant list, so the lookup is O(1) per row and needs no join), then the files.
    """
    return f"""(
        SELECT *, CAST(timezone('UTC', start_time) AS DATE) AS partition_date
        FROM (
            SELECT file, ord, payload, NULLIF(payload ->> 'request_id', '') AS request_id,
                   CASE WHEN payload ->> 'startTime' IS NULL
                        THEN error({_row_error("no 'startTime'")})
                        WHEN TRY_CAST(payload ->> 'startTime' AS TIMESTAMPTZ) IS NULL
                        THEN error({_row_error("an unparseable 'startTime'")})
                        ELSE TRY_CAST(payload ->> 'startTime' AS TIMESTAMPTZ) END AS start_time,
                   list_extract(?::TIMESTAMPTZ[], CAST(parse_filename(file, true) AS INTEGER))
                       AS superseded_from
            FROM (
                SELECT parse_filename(filename) AS file, unnest(data) AS payload,
                       unnest(range(len(data))) AS ord
                FROM read_json(?, columns = {{'data': 'JSON[]'}}, format = 'auto', filename = true,
                               maximum_object_size = {object_size})
            )
        )
        WHERE superseded_from IS NULL OR start_time < superseded_from
    )"""


def _remove_leftover_duplicates(conn: duckdb.DuckDBPyConnection, day_params: list[Any]) -> int:
    """Delete extra copies of a ``request_id`` among the loaded days (expected none), with a warning."""
    extra = int(
        _scalar(
            conn,
            f"SELECT count(*) - count(DISTINCT request_id) FROM {SPEND_TABLE} WHERE {_DAYS_PREDICATE}",
            day_params,
        )
    )
    if not extra:
        return 0
    log.warning(
        "%d spend-log row(s) arrived twice outside adjacent-window boundaries; deleting the extra copies "
        "(keeping the smallest payload text), which makes this commit rewrite the loaded rows",
        extra,
    )
    return _changed(
        conn,
        f"""
        DELETE FROM {SPEND_TABLE} WHERE rowid IN (
            SELECT rowid FROM {SPEND_TABLE}
            WHERE {_DAYS_PREDICATE} AND request_id IN (
                SELECT request_id FROM {SPEND_TABLE} WHERE {_DAYS_PREDICATE}
                GROUP BY request_id HAVING count(*) > 1)
            QUALIFY row_number() OVER (PARTITION BY request_id ORDER BY payload::VARCHAR) > 1)
        """,
        day_params + day_params,
    )


def _finished(
    table: str, days: tuple[date, ...], spool: Spool, counts: tuple[int, int, int, int], started: float
) -> LoadResult:
    """The logged ``LoadResult`` from (deleted, inserted, duplicates, out-of-range) counts."""
    deleted, inserted, duplicates, out_of_range = counts
    result = LoadResult(
        table=table,
        days=days,
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


_ROW_ERROR_PREFIX = "Spend-log row "


def _row_error(problem: str) -> str:
    escaped = problem.replace("'", "''")
    return f"'{_ROW_ERROR_PREFIX}' || ord || ' in spooled page ' || file || ' has {escaped}.'"


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
