"""Benchmark: query latency on the published marts snapshot vs the old approach (paging the gateway).

Publishes the snapshot of ``--db`` (built by ``bench/marts.py``), then times every query function over a
30- and a 90-day range ending on the last day with data (p50/p95 over ``--reps`` calls after a warm-up).
In the same run it starts the demo gateway (pre-rendered pages, so its JSON rendering is not counted
against the old approach) and times the old backend's way of answering "tokens per team": fetch every
``/team/daily/activity`` page for the range (``page_size=100``) and sum ``breakdown.entities`` in Python,
per request. Targets: p95 < 20 ms for every query over 90 days; >= 50x faster than the old approach.

    .venv/bin/python bench/marts.py --quick     # builds bench/out/marts.duckdb first
    .venv/bin/python bench/query.py [--db bench/out/marts.duckdb] [--reps 200]
    .venv/bin/python bench/query.py --synthetic  # or: generate marts directly (365 days, 40 teams, 30 models)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb
import httpx
import polars as pl

from pipeline import query
from pipeline.demo_gateway import DemoGateway, GatewayConfig
from pipeline.warehouse.snapshot import publish_snapshot_from

TARGET_P95_MS = 20.0
TARGET_SPEEDUP = 50.0


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _time(call: Callable[[], object], reps: int, warmup: int = 3) -> tuple[float, float, float]:
    """(p50, p95) wall-clock ms and p50 process CPU ms (CPU time excludes waiting for a busy CPU)."""
    for _ in range(warmup):
        call()
    wall, cpu = [], []
    for _ in range(reps):
        began, began_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    p50, p95 = _percentiles(wall)
    return p50, p95, statistics.median(cpu)


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


SYNTHETIC_SQL = """
SET enable_progress_bar = false;
CREATE SCHEMA IF NOT EXISTS marts;
CREATE OR REPLACE TEMP TABLE g AS
SELECT CAST(DATE '2026-03-01' - INTERVAL (d) DAY AS DATE) AS date, 'team-' || t AS team_id,
    'Team ' || t AS team_alias, 'model-' || m AS model, 'group-' || (m % 10) AS model_group,
    ['openai', 'anthropic', 'azure', 'bedrock'][1 + m % 4] AS provider, hash(d, t, m) AS h
FROM range($days) AS dd(d), range($teams) AS tt(t), range(8) AS mm(j),
    (SELECT (t * 7 + j * 3) % $models AS m);
CREATE OR REPLACE TABLE marts.team_model_usage_daily AS
SELECT date, team_id, team_alias, model, model_group, provider,
    (h % 1000) / 100.0 AS spend, CAST(h % 50000 AS BIGINT) AS prompt_tokens,
    CAST(h % 9000 AS BIGINT) AS completion_tokens, CAST(h % 700 AS BIGINT) AS cache_read_input_tokens,
    CAST(h % 70 AS BIGINT) AS cache_creation_input_tokens,
    CAST(h % 50000 + h % 9000 AS BIGINT) AS total_tokens,
    CAST(10 + h % 300 AS BIGINT) AS api_requests, CAST(10 + h % 300 - h % 7 AS BIGINT) AS successful_requests,
    CAST(h % 7 AS BIGINT) AS failed_requests, (10 + h % 300 - h % 7) / (10 + h % 300) AS success_rate
FROM g;
CREATE OR REPLACE TABLE marts.team_usage_daily AS
SELECT date, team_id, any_value(team_alias) AS team_alias, sum(spend) AS spend,
    sum(prompt_tokens)::BIGINT AS prompt_tokens, sum(completion_tokens)::BIGINT AS completion_tokens,
    sum(cache_read_input_tokens)::BIGINT AS cache_read_input_tokens,
    sum(cache_creation_input_tokens)::BIGINT AS cache_creation_input_tokens,
    sum(total_tokens)::BIGINT AS total_tokens, sum(api_requests)::BIGINT AS api_requests,
    sum(successful_requests)::BIGINT AS successful_requests, sum(failed_requests)::BIGINT AS failed_requests,
    sum(successful_requests) / sum(api_requests) AS success_rate
FROM marts.team_model_usage_daily GROUP BY date, team_id;
CREATE OR REPLACE TABLE marts.model_usage_daily AS
SELECT date, model, any_value(model_group) AS model_group, any_value(provider) AS provider,
    sum(spend) AS spend,
    sum(prompt_tokens)::BIGINT AS prompt_tokens, sum(completion_tokens)::BIGINT AS completion_tokens,
    sum(cache_read_input_tokens)::BIGINT AS cache_read_input_tokens,
    sum(cache_creation_input_tokens)::BIGINT AS cache_creation_input_tokens,
    sum(total_tokens)::BIGINT AS total_tokens, sum(api_requests)::BIGINT AS api_requests,
    sum(successful_requests)::BIGINT AS successful_requests, sum(failed_requests)::BIGINT AS failed_requests,
    sum(successful_requests) / sum(api_requests) AS success_rate,
    count(DISTINCT team_id)::BIGINT AS teams_using
FROM marts.team_model_usage_daily GROUP BY date, model;
CREATE OR REPLACE TABLE marts.cost_efficiency AS
SELECT date, team_id, team_alias, model, model_group, provider, spend, prompt_tokens, completion_tokens,
    cache_read_input_tokens, cache_creation_input_tokens, total_tokens, successful_requests,
    spend / nullif(total_tokens, 0) * 1000 AS spend_per_1k_tokens,
    total_tokens / nullif(spend, 0) AS tokens_per_usd,
    spend / nullif(successful_requests, 0) AS spend_per_successful_request,
    cache_read_input_tokens / nullif(prompt_tokens, 0) AS cache_read_share,
    spend * 1.1 AS list_price_cost, spend * 0.1 AS list_price_savings
FROM marts.team_model_usage_daily;
CREATE OR REPLACE TABLE marts.hourly_usage AS
SELECT timezone('UTC', date::TIMESTAMP + INTERVAL (hr) HOUR) AS hour, date, team_id, team_alias,
    model_group, CAST(1 + hash(hr, h) % 40 AS BIGINT) AS api_requests,
    CAST(1 + hash(hr, h) % 40 - hash(hr, h) % 2 AS BIGINT) AS successful_requests,
    CAST(hash(hr, h) % 2 AS BIGINT) AS failed_requests, CAST(hash(hr, h) % 4000 AS BIGINT) AS prompt_tokens,
    CAST(hash(hr, h) % 800 AS BIGINT) AS completion_tokens,
    CAST(hash(hr, h) % 4000 + hash(hr, h) % 800 AS BIGINT) AS total_tokens,
    (hash(hr, h) % 100) / 1000.0 AS spend,
    200.0 + hash(hr, h) % 500 AS latency_p50_ms, 900.0 + hash(hr, h) % 3000 AS latency_p95_ms
FROM (SELECT date, team_id, team_alias, model_group, any_value(h) AS h FROM g
      WHERE h % 3 = 0 GROUP BY ALL), range(24) AS hh(hr)
ORDER BY hour;
"""


def _synthetic_marts(db: Path, days: int = 365, teams: int = 40, models: int = 30) -> None:
    """Marts generated directly (no raw layer) for when ``bench/marts.py`` has not been run."""
    db.parent.mkdir(parents=True, exist_ok=True)
    sql = (
        SYNTHETIC_SQL.replace("$days", str(days))
        .replace("$teams", str(teams))
        .replace("$models", str(models))
    )
    with duckdb.connect(str(db)) as conn:
        conn.execute(sql)
        for table in ("team_usage_daily", "team_model_usage_daily", "model_usage_daily", "hourly_usage"):
            rows = conn.execute(f"SELECT count(*) FROM marts.{table}").fetchall()[0][0]
            print(f"synthetic marts.{table}: {rows:,} rows")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("bench/out/marts.duckdb"))
    parser.add_argument("--reps", type=int, default=200, help="timed calls per query and range")
    parser.add_argument("--old-reps", type=int, default=5, help="timed calls of the old approach per range")
    parser.add_argument("--requests-per-day", type=int, default=2000, help="demo gateway traffic")
    parser.add_argument(
        "--page-latency-ms",
        type=float,
        nargs="+",
        default=[20.0, 0.0],
        help="gateway delay per page, standing in for LiteLLM's database time; the speed-up target is "
        "judged on the first value (default: 20, the page latency bench/extract.py models, then 0 as the "
        "client-side floor)",
    )
    parser.add_argument("--synthetic", action="store_true", help="generate marts directly into --db")
    args = parser.parse_args()
    if args.synthetic:
        if args.db == Path("bench/out/marts.duckdb"):
            args.db = Path("bench/out/query_synthetic.duckdb")
        _synthetic_marts(args.db)
    if not args.db.exists():
        print(
            f"{args.db} not found: run `.venv/bin/python bench/marts.py --quick --db {args.db}` first",
            file=sys.stderr,
        )
        return 1

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    began = time.perf_counter()
    with duckdb.connect(str(args.db)) as conn:  # the bench file has no other writer; no lock needed
        snap = publish_snapshot_from(conn, args.db)
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
    team_usage_p50 = {}
    print(
        f"{'query':<24}{'30d p50':>9}{'p95':>8}{'cpu50':>8}{'90d p50':>10}{'p95':>8}{'cpu50':>8}"
        f"   (ms, {args.reps} calls)"
    )
    for name, call in _questions(args.db, team, model).items():
        cells = []
        for days in (30, 90):
            start = info.last_day - timedelta(days=days - 1)
            p50, p95, cpu = _time(lambda c=call, s=start: c(s, info.last_day), args.reps)
            cells += [p50, p95, cpu]
            worst_p95[days] = max(worst_p95[days], p95)
            if name == "team_usage":
                team_usage_p50[days] = p50
        widths = (9, 8, 8, 10, 8, 8)
        print(f"{name:<24}" + "".join(f"{v:>{w}.2f}" for v, w in zip(cells, widths, strict=True)))

    print("\nold approach: page /team/daily/activity (page_size=100), sum tokens per team in Python")
    print("new approach on the SAME data: marts.team_usage_daily built from the gateway's daily rows")
    speedups: dict[float, dict[int, float]] = {}
    for latency in args.page_latency_ms:
        speedups[latency] = _compare_old(args, latency, team_usage_p50)
    judged = speedups[args.page_latency_ms[0]]

    ok = all(p95 < TARGET_P95_MS for p95 in worst_p95.values()) and min(judged.values()) >= TARGET_SPEEDUP
    print(
        f"\nworst p95 on {args.db.name}: 30d {worst_p95[30]:.2f} ms, 90d {worst_p95[90]:.2f} ms "
        f"(target < {TARGET_P95_MS:.0f} ms); speed-up vs old at {args.page_latency_ms[0]:g} ms/page: "
        f"{min(judged.values()):.0f}x (target >= {TARGET_SPEEDUP:.0f}x) -> {'PASS' if ok else 'FAIL'}"
    )
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0 if ok else 1


def _compare_old(args: argparse.Namespace, latency: float, bench_p50: dict[int, float]) -> dict[int, float]:
    """Time the old approach against a gateway with ``latency`` ms per page; speed-up per range length."""
    cfg = GatewayConfig(
        days=95, requests_per_day=args.requests_per_day, prerendered=True, page_latency_ms=latency
    )
    print(f"gateway: pre-rendered pages, {latency:g} ms extra latency per page")
    speedups: dict[int, float] = {}
    old_times: dict[int, tuple[int, float, float]] = {}
    with (
        DemoGateway.start(cfg) as gw,
        httpx.Client(base_url=gw.base_url, headers={"x-litellm-api-key": gw.api_key}, timeout=60.0) as client,
    ):
        same = _marts_from_gateway(gw, args.db.with_name("query_gateway.duckdb"))
        last = gw.dataset.last_day
        for days in (30, 90):
            start = last - timedelta(days=days - 1)
            old = _old_tokens_per_team(client, start, last)
            new = query.team_usage(start, last, db=same)
            assert old == dict(new.select("team_id", "total_tokens").iter_rows()), "old and new disagree"
            pages = client.get(
                "/team/daily/activity",
                params={"start_date": str(start), "end_date": str(last), "page_size": 100},
            ).json()["metadata"]["total_pages"]
            old_p50, old_p95, _ = _time(
                lambda s=start: _old_tokens_per_team(client, s, last), args.old_reps, 1
            )
            old_times[days] = (pages, old_p50, old_p95)
    # the gateway is stopped before timing the new approach, so its threads do not compete for the CPU
    for days, (pages, old_p50, old_p95) in old_times.items():
        start = last - timedelta(days=days - 1)
        new_p50, new_p95, _ = _time(lambda s=start: query.team_usage(s, last, db=same), args.reps)
        speedups[days] = old_p50 / new_p50
        print(
            f"  {days}d: old {pages} pages p50 {old_p50:.1f} ms p95 {old_p95:.1f} ms; "
            f"new p50 {new_p50:.2f} ms p95 {new_p95:.2f} ms -> {speedups[days]:.0f}x faster (p50); "
            f"vs the bench marts' team_usage: {old_p50 / bench_p50[days]:.0f}x"
        )
    return speedups


def _marts_from_gateway(gw: DemoGateway, db: Path) -> Path:
    """``marts.team_usage_daily`` from the gateway's ground-truth daily rows, published as a snapshot."""
    aliases = pl.DataFrame(
        [(t["team_id"], t.get("team_alias")) for t in gw.dataset.teams],
        schema=["team_id", "team_alias"],
        orient="row",
    )
    db.unlink(missing_ok=True)
    with duckdb.connect(str(db)) as conn:
        conn.register("daily_rows", gw.dataset.daily_rows)
        conn.register("aliases", aliases)
        conn.execute("CREATE SCHEMA marts")
        conn.execute(
            """
            CREATE TABLE marts.team_usage_daily AS
            WITH j AS (
                SELECT CAST(r.date AS DATE) AS day, coalesce(nullif(r.team_id, ''), 'Unassigned') AS team,
                    a.team_alias AS alias, r.*
                FROM daily_rows AS r LEFT JOIN aliases AS a ON a.team_id = r.team_id
            )
            SELECT day AS date, team AS team_id, coalesce(any_value(alias), team) AS team_alias,
                sum(spend) AS spend, sum(prompt_tokens)::BIGINT AS prompt_tokens,
                sum(completion_tokens)::BIGINT AS completion_tokens,
                sum(cache_read_input_tokens)::BIGINT AS cache_read_input_tokens,
                sum(cache_creation_input_tokens)::BIGINT AS cache_creation_input_tokens,
                sum(prompt_tokens + completion_tokens)::BIGINT AS total_tokens,
                sum(api_requests)::BIGINT AS api_requests,
                sum(successful_requests)::BIGINT AS successful_requests,
                sum(failed_requests)::BIGINT AS failed_requests,
                sum(successful_requests) / nullif(sum(api_requests), 0) AS success_rate
            FROM j GROUP BY day, team ORDER BY day
            """
        )
        publish_snapshot_from(conn, db)
    return db


if __name__ == "__main__":
    raise SystemExit(main())
