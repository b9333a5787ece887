"""Benchmark: demo gateway ``/spend/logs/v2`` serving at ~1M rows (start-up time, RSS, page latency).

.venv/bin/python bench/demo_spend_logs.py                  # lazy rendering (per page)
.venv/bin/python bench/demo_spend_logs.py --prerendered    # every row rendered at start
.venv/bin/python bench/demo_spend_logs.py --requests-per-day 4000   # ~100k rows, quick
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

import httpx
import psutil

from pipeline.demo_gateway import DemoGateway, GatewayConfig

END_DAY = date(2026, 3, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--requests-per-day", type=int, default=40_000)
    parser.add_argument("--prerendered", action="store_true")
    parser.add_argument("--pages", type=int, default=30)
    args = parser.parse_args()
    proc = psutil.Process()
    cfg = GatewayConfig(
        days=args.days,
        requests_per_day=args.requests_per_day,
        seed=1,
        end_day=END_DAY,
        prerendered=args.prerendered,
        spend_logs_count_cap=10_000,
    )
    t0 = time.perf_counter()
    with DemoGateway.start(cfg) as gw:
        ready = time.perf_counter() - t0
        rows = gw.dataset.spend_logs.height
        rss = proc.memory_info().rss / 2**30
        print(f"rows={rows:,} prerendered={args.prerendered} ready={ready:.1f}s rss={rss:.2f} GiB")
        day = str(gw.dataset.last_day)
        with httpx.Client(
            base_url=gw.base_url, headers={"Authorization": f"Bearer {gw.api_key}"}, timeout=60
        ) as client:
            first = str(gw.dataset.first_day)
            for label, params in (
                ("last day, asc", {"start_date": day, "end_date": f"{day} 23:59:59", "sort_order": "asc"}),
                ("all days, desc", {"start_date": first, "end_date": f"{day} 23:59:59"}),
                (
                    "all days, by spend",
                    {"start_date": first, "end_date": f"{day} 23:59:59", "sort_by": "spend"},
                ),
            ):
                times, size = [], 0
                for page in range(1, args.pages + 1):
                    t = time.perf_counter()
                    r = client.get("/spend/logs/v2", params={**params, "page_size": 1000, "page": page})
                    times.append(time.perf_counter() - t)
                    r.raise_for_status()
                    size = max(size, len(r.content))
                print(
                    f"{label}: 1000-row page median={statistics.median(times) * 1e3:.1f} ms "
                    f"p90={sorted(times)[int(len(times) * 0.9)] * 1e3:.1f} ms body={size / 1e6:.1f} MB"
                )
        print(f"peak rss={proc.memory_info().rss / 2**30:.2f} GiB")


if __name__ == "__main__":
    main()
