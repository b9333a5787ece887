"""Benchmark: extract + spool + land spend logs from the demo gateway, against DuckDB's read_json limit.

Starts the demo gateway (prerendered) in a separate process, extracts every spend-log row of its closed
days with the real client, spools the pages to local disk and lands them in a temporary DuckDB with the raw
loader. Then, in the same run, times DuckDB's ``read_json`` over the very same spooled bytes (the practical
limit), and the cost of re-landing one day into the full table versus into an empty one.

    .venv/bin/python bench/land.py            # ~1M rows
    .venv/bin/python bench/land.py --quick    # ~50k rows, a few seconds
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from multiprocessing.connection import Connection
from pathlib import Path

import duckdb

from pipeline.demo_gateway import DemoGateway, GatewayConfig
from pipeline.litellm.client import LiteLLMClient
from pipeline.litellm.config import LiteLLMConfig
from pipeline.warehouse.connection import DEFAULT_MEMORY_LIMIT, write_connection
from pipeline.warehouse.raw_load import (
    LOAD_MEMORY_LIMIT,
    LOAD_THREADS,
    ExtractSource,
    LoadResult,
    load_spend_logs,
)
from pipeline.warehouse.spool import SpendLogSpool, spool_spend_logs

END_DAY = date(2026, 3, 14)
WEEKEND_FACTOR = 1 / 3


@dataclass(frozen=True)
class GatewayInfo:
    base_url: str
    api_key: str
    first_day: date
    last_day: date
    rows: int


def _serve(config: GatewayConfig, pipe: Connection) -> None:
    with DemoGateway.start(config) as gw:
        ds = gw.dataset
        closed = ds.spend_logs.filter(ds.spend_logs["start_time"].dt.date() <= ds.last_day).height
        pipe.send(GatewayInfo(gw.base_url, gw.api_key, ds.first_day, ds.last_day, closed))
        pipe.recv()


def _requests_per_day(rows: int, days: int) -> int:
    weights = 0.0
    for offset in range(1, days + 1):
        day = END_DAY - timedelta(days=offset)
        weights += WEEKEND_FACTOR if day.weekday() >= 5 else 1.0
    return max(1, math.ceil(rows / weights))


def _day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """``end`` is inclusive at second precision, so it is the next midnight: a row at 23:59:59.5 is still in.

    Rows at exactly the next midnight come back too; the loader drops and counts them as out of range.
    """
    start = datetime.combine(first, dtime(), tzinfo=UTC)
    return start, datetime.combine(last + timedelta(days=1), dtime(), tzinfo=UTC)


def _extract(info: GatewayInfo, first: date, last: date, spool_dir: Path) -> tuple[SpendLogSpool, bool]:
    config = LiteLLMConfig(base_url=info.base_url, api_key=info.api_key, spend_logs_page_size=1000)
    with LiteLLMClient(config) as client:
        start, end = _day_bounds(first, last)
        spool = spool_spend_logs(client.iter_spend_logs(start, end), spool_dir)
        return spool, client.source_is_demo


def _land(
    db: Path, spool: SpendLogSpool, days: list[date], source: ExtractSource, args: argparse.Namespace
) -> LoadResult:
    with write_connection(db, threads=args.threads) as conn:
        return load_spend_logs(
            conn,
            spool,
            days,
            "bench",
            datetime.now(UTC),
            source=source,
            load_memory_limit=args.load_memory_limit,
            load_threads=args.load_threads,
        )


def _read_json_limit(spool: SpendLogSpool) -> tuple[float, int]:
    conn = duckdb.connect()
    conn.execute(f"SET memory_limit = '{DEFAULT_MEMORY_LIMIT}'")
    started = time.monotonic()
    rows = conn.execute(
        "SELECT count(*), sum(length(row::VARCHAR)) FROM (SELECT unnest(data) AS row FROM read_json(?, "
        "columns = {'data': 'JSON[]'}, format = 'auto', maximum_object_size = 8388608))",
        [spool.files()],
    ).fetchall()
    elapsed = time.monotonic() - started
    conn.close()
    return elapsed, int(rows[0][0])


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="target spend-log rows (default 1M)")
    parser.add_argument("--days", type=int, default=8, help="closed days to spread them over (default 8)")
    parser.add_argument("--quick", action="store_true", help="~50k rows over 2 days")
    parser.add_argument(
        "--load-memory-limit",
        default=LOAD_MEMORY_LIMIT,
        help=f"DuckDB limit while landing ({LOAD_MEMORY_LIMIT})",
    )
    parser.add_argument(
        "--load-threads",
        type=int,
        default=LOAD_THREADS,
        help=f"cap on DuckDB threads while landing ({LOAD_THREADS})",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="DuckDB threads of the connection (default: all)"
    )
    parser.add_argument("--workdir", type=Path, default=None, help="where to put the spool and DuckDB files")
    args = parser.parse_args(argv)
    rows, days = (50_000, 2) if args.quick else (args.rows, args.days)
    config = GatewayConfig(
        days=days, requests_per_day=_requests_per_day(rows, days), seed=42, end_day=END_DAY, prerendered=True
    )
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    started = time.monotonic()
    gateway = ctx.Process(target=_serve, args=(config, child), daemon=True)
    gateway.start()
    work = Path(tempfile.mkdtemp(prefix="litellm-usage-bench-", dir=args.workdir))
    try:
        deadline = time.monotonic() + 1800
        while not parent.poll(1.0):
            if not gateway.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the demo gateway process failed to start (see its output above)")
        info: GatewayInfo = parent.recv()
        print(
            f"gateway ready in {time.monotonic() - started:.1f} s: {info.rows:,} closed-day rows, "
            f"{info.first_day}..{info.last_day}, {info.base_url}"
        )
        all_days = [
            info.first_day + timedelta(days=i) for i in range((info.last_day - info.first_day).days + 1)
        ]
        full_db = work / "full.duckdb"
        rss_before = _peak_rss_mb()

        t0 = time.monotonic()
        spool, is_demo = _extract(info, info.first_day, info.last_day, work / "spool")
        t_extract = time.monotonic() - t0
        rss_extract = _peak_rss_mb()
        source = ExtractSource(info.base_url, is_demo)
        land = _land(full_db, spool, all_days, source, args)
        t_total = time.monotonic() - t0
        rss_land = _peak_rss_mb()

        t_limit, limit_rows = _read_json_limit(spool)

        one_day = all_days[len(all_days) // 2]
        day_spool, _ = _extract(info, one_day, one_day, work / "spool-day")
        reland_full = _land(full_db, day_spool, [one_day], source, args)
        reland_empty = _land(work / "empty.duckdb", day_spool, [one_day], source, args)
        with write_connection(full_db) as conn:
            table_rows = conn.execute(
                "SELECT count(*), count(DISTINCT request_id) FROM raw.spend_logs"
            ).fetchone()
    finally:
        if gateway.is_alive():
            parent.send("stop")
        gateway.join(30)
        if gateway.is_alive():
            gateway.terminate()
        shutil.rmtree(work, ignore_errors=True)

    mb = spool.bytes / 1e6
    print(
        f"rows landed           {land.rows_inserted:,} (gateway truth {info.rows:,}; duplicates dropped "
        f"{land.duplicates_dropped:,}, out of range {land.out_of_range_dropped:,}); table {table_rows}"
    )
    print(f"pages / bytes         {spool.pages:,} pages, {mb:,.0f} MB")
    print(f"extract + spool       {t_extract:8.2f} s  ({mb / t_extract:,.0f} MB/s)")
    print(f"land (one txn)        {land.seconds:8.2f} s")
    print(f"end to end            {t_total:8.2f} s")
    print(f"read_json limit       {t_limit:8.2f} s  ({limit_rows:,} rows over the same spooled bytes)")
    print(f"ratio end-to-end/limit {t_total / t_limit:7.2f}x  (target <= 3x)")
    print(f"ratio land/limit      {land.seconds / t_limit:8.2f}x")
    print(
        f"load memory limit     {args.load_memory_limit}, load threads <= {args.load_threads} "
        f"(connection threads {args.threads or 'all'})"
    )
    print(
        f"peak RSS (landing)    {rss_land:8.0f} MB  (before extraction {rss_before:.0f} MB, after "
        f"extraction {rss_extract:.0f} MB; target < 500 MB)"
    )
    print(
        f"re-land {one_day}    full table {reland_full.seconds:.2f} s "
        f"({reland_full.rows_deleted:,} replaced, "
        f"{reland_full.rows_inserted:,} inserted) vs empty table {reland_empty.seconds:.2f} s "
        f"-> {reland_full.seconds / reland_empty.seconds:.2f}x"
    )
    ok = info.rows == land.rows_inserted == table_rows[0] == table_rows[1]
    ok = ok and reland_full.rows_inserted == reland_full.rows_deleted == reland_empty.rows_inserted
    print("row counts match the gateway" if ok else "ROW COUNT MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
