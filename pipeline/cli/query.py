"""`litellm-usage query <question>`: answer one usage question from the marts snapshot.

Without ``--start``/``--end`` the range is the last 30 days ending yesterday (UTC); with only ``--start`` it
ends yesterday, with only ``--end`` it is the 30 days ending there. Exit codes: 0 success, 2 invalid input,
1 runtime error (e.g. no warehouse yet).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipeline import query as q
from pipeline.query.params import DEFAULT_RANGE_DAYS, choice, default_range, parse_date
from pipeline.warehouse.errors import WarehouseError

FORMATS = ("table", "csv", "json", "parquet")


@dataclass(frozen=True)
class Question:
    """A CLI question: its query function and which options it accepts."""

    function: Callable[..., pl.DataFrame]
    help: str
    options: frozenset[str]
    by: tuple[str, ...] = ()


QUESTIONS: dict[str, Question] = {
    "leaderboard": Question(
        q.leaderboard, "teams ranked by tokens or spend", frozenset({"by", "limit"}), ("tokens", "spend")
    ),
    "team-usage": Question(q.team_usage, "usage per team over the range", frozenset({"team", "limit"})),
    "timeseries": Question(
        q.timeseries, "daily usage per team or model", frozenset({"by", "team", "model"}), ("team", "model")
    ),
    "success-rate": Question(
        q.success_rate,
        "request success per team (or per team and day)",
        frozenset({"by", "team"}),
        ("team", "day"),
    ),
    "cost-efficiency": Question(
        q.cost_efficiency, "spend and unit costs per team and model", frozenset({"team", "model", "limit"})
    ),
    "models": Question(q.model_usage, "usage per model", frozenset({"team", "model", "limit"})),
    "hourly": Question(
        q.hourly_usage, "usage per hour, optionally in a local time zone", frozenset({"team", "model", "tz"})
    ),
}


class UsageError(Exception):
    """An option that does not apply, or a combination the CLI cannot honour."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listing = "; ".join(f"{name}: {question.help}" for name, question in QUESTIONS.items())
    parser = sub.add_parser(
        "query",
        help="answer a usage question from the marts",
        description=f"Questions - {listing}. "
        f"Default range: the {DEFAULT_RANGE_DAYS} days ending yesterday (UTC).",
    )
    parser.add_argument("question", choices=list(QUESTIONS), metavar="QUESTION", help=", ".join(QUESTIONS))
    parser.add_argument("--start", help="first day, YYYY-MM-DD (UTC; local to --tz for hourly)")
    parser.add_argument("--end", help="last day, YYYY-MM-DD, inclusive")
    parser.add_argument("--team", action="append", help="team id or alias (repeatable)")
    parser.add_argument(
        "--model", action="append", help="model or model group (hourly: model group; repeatable)"
    )
    parser.add_argument(
        "--by", help="leaderboard: tokens|spend; timeseries: team|model; success-rate: team|day"
    )
    parser.add_argument("--tz", help="hourly only: IANA time zone for local hours (default UTC)")
    parser.add_argument(
        "--limit", type=int, help="keep the first N rows (leaderboard, team-usage, models, ...)"
    )
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parser.add_argument(
        "--output", type=Path, help="write to this file instead of stdout (required for parquet)"
    )
    parser.add_argument(
        "--db", type=Path, help="warehouse file (default: $LITELLM_USAGE_DB or data/usage.duckdb)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        frame = _answer(args)
        _emit(frame, args.format, args.output)
    except (q.QueryError, UsageError) as exc:
        return _fail(exc, 2)
    except (q.WarehouseUnavailableError, WarehouseError, duckdb.Error, OSError) as exc:
        return _fail(exc, 1)
    return 0


def _fail(exc: Exception, code: int) -> int:
    message = " ".join(str(exc).split())
    print(f"litellm-usage query: error: {message}", file=sys.stderr)
    return code


def _answer(args: argparse.Namespace) -> pl.DataFrame:
    question = QUESTIONS[args.question]
    given = {name for name in ("by", "team", "model", "tz", "limit") if getattr(args, name) is not None}
    for name in sorted(given - question.options):
        users = [n for n, qn in QUESTIONS.items() if name in qn.options]
        raise UsageError(f"--{name} does not apply to {args.question} (it applies to: {', '.join(users)})")
    if args.format == "parquet" and args.output is None:
        raise UsageError("--format parquet needs --output FILE")
    start, end = _range(args.start, args.end)
    kwargs: dict[str, Any] = {"db": args.db}
    if args.by is not None:
        if args.question == "success-rate":
            choice(args.by, "by", question.by)
            kwargs["daily"] = args.by == "day"
        else:
            kwargs["by"] = args.by
    if args.team is not None:
        kwargs["team"] = args.team
    if args.model is not None:
        kwargs["model_group" if args.question == "hourly" else "model"] = args.model
    if args.tz is not None:
        kwargs["tz"] = args.tz
    if args.limit is not None:
        kwargs["limit"] = args.limit
    return question.function(start, end, **kwargs)


def _range(start: str | None, end: str | None) -> tuple[str, str]:
    if start is not None and end is not None:
        return start, end
    span = default_range()
    if end is not None:
        last = parse_date(end, "end")
        return str(last - timedelta(days=DEFAULT_RANGE_DAYS - 1)), end
    return (start if start is not None else str(span.start)), str(span.end)


def _emit(frame: pl.DataFrame, fmt: str, output: Path | None) -> None:
    if fmt == "parquet" and output is not None:
        frame.write_parquet(output)
    else:
        text = _render(frame, fmt)
        if output is None:
            sys.stdout.write(text)
            return
        output.write_text(text, encoding="utf-8")
    print(f"wrote {frame.height} rows to {output}", file=sys.stderr)


def _render(frame: pl.DataFrame, fmt: str) -> str:
    if fmt == "csv":
        return frame.write_csv()
    if fmt == "json":
        return frame.write_json() + "\n"
    # A terminal gets tables fitted to its width; a pipe or file gets unwrapped rows.
    width = max(shutil.get_terminal_size((160, 24)).columns, 80) if sys.stdout.isatty() else 2000
    with pl.Config(
        tbl_rows=-1,
        tbl_cols=-1,
        tbl_width_chars=width,
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
        fmt_str_lengths=60,
        thousands_separator=True,
        float_precision=4,
    ):
        return f"{frame}\n({frame.height} rows)\n"
