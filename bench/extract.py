"""Extraction benchmark: the LiteLLM client against the demo gateway running in a separate process.

    .venv/bin/python bench/extract.py            # ~1M spend-log rows, 20 ms per page
    .venv/bin/python bench/extract.py --quick    # small run

Measures spend logs and daily activity sequentially (max_concurrency=1) and concurrently, and reports rows/s,
pages/s, bytes/s, the client process's peak RSS and the concurrent/sequential speed-up. Pages are counted and
dropped as they stream, as a spooling loader would.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psutil

from pipeline.litellm.client import LiteLLMClient
from pipeline.litellm.config import LiteLLMConfig


def serve(args: argparse.Namespace) -> int:
    """Child process: start the gateway, print its address as one JSON line, serve until stdin closes."""
    from pipeline.demo_gateway import DemoGateway, GatewayConfig

    cfg = GatewayConfig(
        days=args.days,
        requests_per_day=args.requests_per_day,
        seed=11,
        end_day=date.fromisoformat(args.end_day),
        prerendered=True,
        page_latency_ms=args.page_latency_ms,
    )
    with DemoGateway.start(cfg) as gw:
        ds = gw.dataset
        info = {
            "base_url": gw.base_url,
            "api_key": gw.api_key,
            "first_day": ds.first_day.isoformat(),
            "last_day": ds.last_day.isoformat(),
            "teams": [t["team_id"] for t in ds.teams],
            "spend_log_rows": ds.spend_logs.height,
        }
        sys.stdout.write(json.dumps(info) + "\n")
        sys.stdout.flush()
        sys.stdin.read()
    return 0


@dataclass
class Measure:
    label: str
    rows: int = 0
    pages: int = 0
    bytes: int = 0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0

    def line(self) -> str:
        s = max(self.seconds, 1e-9)
        return (
            f"{self.label:<44} {self.rows:>9} rows {self.pages:>6} pages {self.bytes / 1e6:>8.1f} MB "
            f"{self.seconds:>7.2f} s | {self.rows / s:>9.0f} rows/s {self.pages / s:>7.1f} pages/s "
            f"{self.bytes / s / 1e6:>6.1f} MB/s | peak RSS {self.peak_rss_mb:.0f} MB"
        )


class RssSampler:
    """Samples this process's RSS every 20 ms; ``peak_mb`` covers the sampling period."""

    def __init__(self) -> None:
        self._proc = psutil.Process(os.getpid())
        self._stop = threading.Event()
        self.peak = self._proc.memory_info().rss
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak / 1e6


def measure(label: str, config: LiteLLMConfig, run: Callable[[LiteLLMClient], Iterator[Any]]) -> Measure:
    m = Measure(label)
    with RssSampler() as rss, LiteLLMClient(config) as client:
        started = time.perf_counter()
        for item in run(client):
            page = item.page
            m.rows += page.item_count
            m.bytes += len(page.body)
        m.seconds = time.perf_counter() - started
        m.pages = client.stats.pages
        m.peak_rss_mb = rss.peak_mb
        if client.stats.retries or client.stats.rereads:
            print(f"  ({label}: {client.stats.retries} retries, {client.stats.rereads} re-reads)")
    print(m.line(), flush=True)
    return m


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument(
        "--requests-per-day", type=int, default=88_000, help="weekday volume (default ~1M rows)"
    )
    parser.add_argument("--page-latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--spend-logs-page-size",
        type=int,
        default=1000,
        help="spend-log page size (rows); smaller pages make the run latency-bound rather than CPU-bound",
    )
    parser.add_argument(
        "--sequential-days", type=int, default=1, help="days measured sequentially (extrapolated)"
    )
    parser.add_argument("--end-day", default="2026-03-16")
    parser.add_argument("--quick", action="store_true", help="small run: 3 days x 6,000 requests")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.days, args.requests_per_day = 3, 6000
    if args.serve:
        return serve(args)

    child_args = [
        sys.executable,
        __file__,
        "--serve",
        f"--days={args.days}",
        f"--requests-per-day={args.requests_per_day}",
        f"--page-latency-ms={args.page_latency_ms}",
        f"--end-day={args.end_day}",
    ]
    started = time.perf_counter()
    with subprocess.Popen(child_args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout is not None and child.stdin is not None
            line = child.stdout.readline()
            if not line:
                print("demo gateway failed to start", file=sys.stderr)
                return 1
            info = json.loads(line)
            print(
                f"demo gateway (separate process, prerendered, {args.page_latency_ms:g} ms/page): "
                f"{info['spend_log_rows']} spend-log rows, {info['first_day']}..{info['last_day']} + partial "
                f"day; ready in {time.perf_counter() - started:.1f} s"
            )
            run_bench(args, info)
        finally:
            if child.stdin is not None:
                child.stdin.close()
            child.wait(30)
    return 0


def run_bench(args: argparse.Namespace, info: dict[str, Any]) -> None:
    base = LiteLLMConfig(
        base_url=info["base_url"], api_key=info["api_key"], spend_logs_page_size=args.spend_logs_page_size
    )
    seq_cfg = dataclasses.replace(base, max_concurrency=1)
    par_cfg = dataclasses.replace(base, max_concurrency=args.concurrency)
    first, last = date.fromisoformat(info["first_day"]), date.fromisoformat(info["last_day"])
    all_days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    seq_days = all_days[: max(1, min(args.sequential_days, len(all_days)))]

    def spend(days: list[date]) -> Callable[[LiteLLMClient], Iterator[Any]]:
        start = datetime.combine(days[0], datetime.min.time(), UTC)
        end = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), UTC)
        return lambda client: client.iter_spend_logs(start, end)

    def daily(days: list[date]) -> Callable[[LiteLLMClient], Iterator[Any]]:
        return lambda client: client.iter_daily_activity(days, client.daily_scopes(info["teams"]))

    partial = " (subset, rates extrapolated)" if len(seq_days) < len(all_days) else ""
    print(f"spend-log page size {args.spend_logs_page_size} rows")
    print(f"\nsequential (max_concurrency=1) over {len(seq_days)} of {len(all_days)} days{partial}:")
    seq_spend = measure("spend logs, sequential", seq_cfg, spend(seq_days))
    seq_daily = measure("daily activity, sequential", seq_cfg, daily(seq_days))
    print(f"\nconcurrent (max_concurrency={args.concurrency}) over all {len(all_days)} days:")
    par_spend = measure("spend logs, concurrent", par_cfg, spend(all_days))
    par_daily = measure("daily activity, concurrent", par_cfg, daily(all_days))

    def rate(m: Measure, attr: str) -> float:
        return getattr(m, attr) / max(m.seconds, 1e-9)

    print("\nspeed-up (concurrent / sequential):")
    print(f"  spend logs      {rate(par_spend, 'rows') / max(rate(seq_spend, 'rows'), 1e-9):5.1f}x rows/s")
    print(f"  daily activity  {rate(par_daily, 'pages') / max(rate(seq_daily, 'pages'), 1e-9):5.1f}x pages/s")
    peak = max(m.peak_rss_mb for m in (seq_spend, seq_daily, par_spend, par_daily))
    maxrss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"client process peak RSS: {peak:.0f} MB sampled, {maxrss_mb:.0f} MB ru_maxrss (target < 300 MB)")


if __name__ == "__main__":
    raise SystemExit(main())
