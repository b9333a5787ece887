"""`litellm-usage refresh`: extract a day range and rebuild the warehouse (the main job)."""

from __future__ import annotations

import argparse
import sys
from datetime import date


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date YYYY-MM-DD") from None


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "refresh",
        help="extract usage from LiteLLM (or the demo gateway) and rebuild the warehouse",
        description=(
            "Runs daily_usage_job over a UTC day range as one run on the project's Dagster instance "
            "(visible in the UI). With LITELLM_BASE_URL set it reads that gateway "
            "(key from LITELLM_API_KEY), "
            "default range yesterday..today; without it, it serves the bundled DEMO gateway and loads its "
            "whole range."
        ),
    )
    parser.add_argument("--start", type=_day, metavar="YYYY-MM-DD", help="first UTC day (inclusive)")
    parser.add_argument("--end", type=_day, metavar="YYYY-MM-DD", help="last UTC day (inclusive)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pipeline.refresh import RefreshError, refresh

    try:
        outcome = refresh(args.start, args.end, verbose=bool(getattr(args, "verbose", False)))
    except RefreshError as exc:
        print(f"litellm-usage refresh: {exc}", file=sys.stderr)
        return 1
    print(outcome.report)
    if not outcome.success:
        print(f"litellm-usage refresh: {outcome.failure}", file=sys.stderr)
        return 1
    return 0
