"""`litellm-usage demo-gateway`: serve synthetic LiteLLM usage data on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import threading
from datetime import date

from pipeline.demo_gateway import DemoGateway, GatewayConfig


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "demo-gateway",
        help="serve a LiteLLM-compatible DEMO gateway with synthetic data",
        description="Serve a LiteLLM 1.110.2-compatible DEMO gateway with synthetic usage data until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: a free port)")
    parser.add_argument("--days", type=int, default=14, help="closed days of history (default 14)")
    parser.add_argument("--requests-per-day", type=int, default=2000, help="weekday requests (default 2000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--end-day", type=date.fromisoformat, default=None, help="partial day (default today UTC)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = GatewayConfig(
        days=args.days,
        requests_per_day=args.requests_per_day,
        seed=args.seed,
        end_day=args.end_day,
        host=args.host,
        port=args.port,
    )
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with DemoGateway.start(config) as gw:
            ds = gw.dataset
            print("DEMO gateway: synthetic LiteLLM usage data, not a real LiteLLM proxy.", flush=True)
            print(f"Serving {ds.first_day}..{ds.last_day} (closed) + {ds.end_day} (partial) at {gw.base_url}")
            print(f"export LITELLM_BASE_URL={gw.base_url}")
            print(f"export LITELLM_API_KEY={gw.api_key}")
            print("Press Ctrl-C to stop.", flush=True)
            try:
                while not stop.wait(0.5):
                    pass
            except KeyboardInterrupt:
                pass
        print("Demo gateway stopped.", flush=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0
