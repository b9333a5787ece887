"""Benchmark: query latency on the published marts snapshot vs the old approach (paging the gateway).

Publishes the snapshot of ``--db`` (built by ``bench/marts.py``), then times every query function over a
30- and a 90-day range ending on the last day with data (p50/p95 over ``--reps`` calls after a warm-up).
In the same run it starts the demo gateway (pre-rendered pages, so its JSON rendering is not counted
against the old approach) and times the old backend's way of answering "tokens per team": fetch every
``/team/daily/activity`` page for the range (``page_size=100``) and sum ``breakdown.entities`` in Python,
per request. Targets: p95 < 20 ms for every query over 90 days; >= 50x faster than the old approach.

    .venv/bin/python bench/marts.py --quick     # builds bench/out/marts.duckdb first
    .venv/bin/python bench/query.py [--db bench/out/marts.duckdb] [--reps 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import httpx

from pipeline import query
from pipeline.demo_gateway import DemoGateway, GatewayConfig
from pipeline.warehouse.snapshot import publish_snapshot

TARGET_P95_MS = 20.0
TARGET_SPEEDUP = 50.0


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _time(call: Callable[[], object], reps: int, warmup: int = 3) -> tuple[float, float]:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(reps):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    return _percentiles(samples)


def _questions(db: Path, team: str, model: str) -> dict[str, Callable[[date, date], object]]:
    return {
        "leaderboard": lambda s, e: query.leaderboard(s, e, db=db),
        "team_usage": lambda s, e: query.team_usage(s, e, db=db),
        "team_usage(team)": lambda s, e: query.team_usage(s, e, team=team, db=db),
        "timeseries(team)": lambda s, e: query.timeseries(s, e, by="team", db=db),
        "timeseries(model)": lambda s, e: query.timeseries(s, e, by="model", team=team, db=db),
        "success_rate(daily)": lambda s, e: query.success_rate(s, e, daily=True, db=db),
        "cost_efficiency": lambda s, e: query.cost_efficiency(s, e, db=db),
        "model_usage": lambda s, e: query.model_usage(s, e, model=model, db=db),
        "hourly_usage(Berlin)": lambda s, e: query.hourly_usage(s, e, tz="Europe/Berlin", db=db),
    }


def _old_tokens_per_team(client: httpx.Client, start: date, end: date) -> dict[str, int]:
    totals: dict[str, int] = {}
    page, pages = 1, 1
    while page <= pages:
        response = client.get(
            "/team/daily/activity",
            params={"start_date": str(start), "end_date": str(end), "page": page, "page_size": 100},
        )
        response.raise_for_status()
        body = response.json()
        pages = body["metadata"]["total_pages"]
        for day in body["results"]:
            for team, entry in day["breakdown"]["entities"].items():
                totals[team] = totals.get(team, 0) + entry["metrics"]["total_tokens"]
        page += 1
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("bench/out/marts.duckdb"))
    parser.add_argument("--reps", type=int, default=200, help="timed calls per query and range")
    parser.add_argument("--old-reps", type=int, default=5, help="timed calls of the old approach per range")
    parser.add_argument("--requests-per-day", type=int, default=2000, help="demo gateway traffic")
    args = parser.parse_args()
    if not args.db.exists():
        print(
            f"{args.db} not found: run `.venv/bin/python bench/marts.py --quick --db {args.db}` first",
            file=sys.stderr,
        )
        return 1

    began = time.perf_counter()
    snap = publish_snapshot(args.db)
    print(f"published {snap} ({snap.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - began:.2f} s")
    info = query.data_info(args.db)
    if info.last_day is None:
        print("the marts are empty", file=sys.stderr)
        return 1
    board = query.leaderboard(info.first_day, info.last_day, db=args.db)
    team = board["team_id"][0]
    model = query.model_usage(info.last_day - timedelta(days=29), info.last_day, limit=1, db=args.db)[
        "model"
    ][0]
    print(
        f"data {info.first_day}..{info.last_day}, {board.height} teams; filters team={team} model={model}\n"
    )

    worst_p95 = {30: 0.0, 90: 0.0}
    leaderboard_p50 = {}
    print(
        f"{'query':<24}{'30d p50':>10}{'30d p95':>10}{'90d p50':>10}{'90d p95':>10}   (ms, {args.reps} calls)"
    )
    for name, call in _questions(args.db, team, model).items():
        cells = []
        for days in (30, 90):
            start = info.last_day - timedelta(days=days - 1)
            p50, p95 = _time(lambda c=call, s=start: c(s, info.last_day), args.reps)
            cells += [p50, p95]
            worst_p95[days] = max(worst_p95[days], p95)
            if name == "team_usage":
                leaderboard_p50[days] = p50
        print(f"{name:<24}" + "".join(f"{v:>10.2f}" for v in cells))

    print("\nold approach: page /team/daily/activity (page_size=100) and sum per team in Python, per request")
    cfg = GatewayConfig(days=95, requests_per_day=args.requests_per_day, prerendered=True)
    speedups = {}
    with (
        DemoGateway.start(cfg) as gw,
        httpx.Client(base_url=gw.base_url, headers={"x-litellm-api-key": gw.api_key}, timeout=60.0) as client,
    ):
        last = gw.dataset.last_day
        for days in (30, 90):
            start = last - timedelta(days=days - 1)
            pages = client.get(
                "/team/daily/activity",
                params={"start_date": str(start), "end_date": str(last), "page_size": 100},
            ).json()["metadata"]["total_pages"]
            p50, p95 = _time(lambda s=start: _old_tokens_per_team(client, s, last), args.old_reps, warmup=1)
            speedups[days] = p50 / leaderboard_p50[days]
            print(
                f"  {days}d: {pages} pages, p50 {p50:.1f} ms, p95 {p95:.1f} ms; "
                f"team_usage is {speedups[days]:.0f}x faster (p50)"
            )

    ok = all(p95 < TARGET_P95_MS for p95 in worst_p95.values()) and min(speedups.values()) >= TARGET_SPEEDUP
    print(
        f"\nworst p95: 30d {worst_p95[30]:.2f} ms, 90d {worst_p95[90]:.2f} ms "
        f"(target < {TARGET_P95_MS:.0f} ms); "
        f"speed-up vs old: {min(speedups.values()):.0f}x (target >= {TARGET_SPEEDUP:.0f}x) -> "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
