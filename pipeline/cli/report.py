"""`litellm-usage report`: write the self-contained HTML usage report and print its path.

Exit codes: 0 success, 2 invalid input, 1 runtime error (e.g. no warehouse yet).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from pipeline.paths import warehouse_path
from pipeline.query.errors import QueryError, WarehouseUnavailableError
from pipeline.report import build_report
from pipeline.warehouse.errors import WarehouseError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "report",
        help="write the HTML usage report",
        description="Write one offline HTML report (charts, leaderboard). "
        "Default range: the 30 days ending on the last day with data.",
    )
    parser.add_argument("--start", help="first day, YYYY-MM-DD (UTC)")
    parser.add_argument("--end", help="last day, YYYY-MM-DD, inclusive")
    parser.add_argument("--output", type=Path, help="HTML file (default: report.html next to the warehouse)")
    parser.add_argument(
        "--db", type=Path, help="warehouse file (default: $LITELLM_USAGE_DB or data/usage.duckdb)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    db = args.db if args.db is not None else warehouse_path()
    output = args.output if args.output is not None else db.parent / "report.html"
    try:
        path = build_report(db, output, args.start, args.end)
    except QueryError as exc:
        return _fail(exc, 2)
    except (WarehouseUnavailableError, WarehouseError, duckdb.Error, OSError) as exc:
        return _fail(exc, 1)
    print(path)
    return 0


def _fail(exc: Exception, code: int) -> int:
    print(f"litellm-usage report: error: {' '.join(str(exc).split())}", file=sys.stderr)
    return code
