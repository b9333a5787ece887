"""What `litellm-usage refresh` does: pick the source, run the job on the persistent instance, report."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pipeline.defs.partitions import daily_partitions
from pipeline.demo_gateway import DemoGateway, GatewayConfig
from pipeline.litellm.config import LiteLLMConfig
from pipeline.litellm.errors import ConfigurationError
from pipeline.orchestration import RunOutcome, open_instance, run_job
from pipeline.paths import DB_ENV_VAR, warehouse_path
from pipeline.warehouse.raw_load import public_source_url

BASE_URL_ENV = "LITELLM_BASE_URL"
API_KEY_ENV = "LITELLM_API_KEY"
DEMO_GATEWAY_CONFIG = GatewayConfig()
"""The demo gateway served when ``LITELLM_BASE_URL`` is unset (14 synthetic days up to today)."""


class RefreshError(Exception):
    """An expected refresh failure, reported as one line without a traceback."""


@dataclass(frozen=True)
class Source:
    """Where the run extracts from and which days it covers (both ends inclusive)."""

    base_url: str
    api_key: str = field(repr=False)
    is_demo: bool
    start: date
    end: date


def utc_today() -> date:
    return datetime.now(UTC).date()


def default_range(today: date | None = None) -> tuple[date, date]:
    """The trailing two days: yesterday and today (UTC)."""
    end = today or utc_today()
    return end - timedelta(days=1), end


def resolve_range(
    start: date | None, end: date | None, default_start: date, default_end: date
) -> tuple[date, date]:
    """Fill in missing ends from the defaults; with only ``end`` before the default start, just that day."""
    if start is None and end is not None and end < default_start:
        return end, end
    return start or default_start, end or default_end


def validate_range(start: date, end: date, environ: Mapping[str, str] | None = None) -> tuple[date, date]:
    """Both ends must be partitions: not before the first partition, not after today (UTC)."""
    if start > end:
        raise RefreshError(f"--start {start} is after --end {end}")
    first = date.fromisoformat(daily_partitions(environ).start.strftime("%Y-%m-%d"))
    if start < first:
        raise RefreshError(
            f"--start {start} is before the first partition {first} "
            "(set LITELLM_USAGE_START_DATE to go earlier)"
        )
    today = utc_today()
    if end > today:
        raise RefreshError(f"--end {end} is in the future (today is {today} UTC)")
    return start, end


@contextmanager
def select_source(
    start: date | None, end: date | None, environ: Mapping[str, str] | None = None
) -> Iterator[Source]:
    """The real gateway when ``LITELLM_BASE_URL`` is set, else the demo gateway served in-process."""
    env = os.environ if environ is None else environ
    base_url = env.get(BASE_URL_ENV, "").strip()
    if base_url:
        api_key = env.get(API_KEY_ENV, "").strip()
        if not api_key:
            raise RefreshError(f"{BASE_URL_ENV} is set but {API_KEY_ENV} is empty: set the LiteLLM API key")
        try:
            LiteLLMConfig(base_url=base_url, api_key=api_key)
        except ConfigurationError as exc:
            raise RefreshError(str(exc)) from None
        first, last = resolve_range(start, end, *default_range())
        yield Source(base_url, api_key, False, first, last)
        return
    with DemoGateway.start(DEMO_GATEWAY_CONFIG) as gw:
        ds = gw.dataset
        first, last = resolve_range(start, end, ds.first_day, ds.end_day)
        yield Source(gw.base_url, gw.api_key, True, first, last)


@contextmanager
def patched_environ(
    values: Mapping[str, str], environ: MutableMapping[str, str] | None = None
) -> Iterator[None]:
    """Set variables for the duration of the block, then restore the previous values."""
    env = os.environ if environ is None else environ
    saved = {name: env.get(name) for name in values}
    env.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value


@dataclass(frozen=True)
class RefreshResult:
    """What one refresh did: source, range, warehouse, run outcome and the printable report."""

    source: Source
    start: date
    end: date
    db_path: Path
    run: RunOutcome
    report: str

    @property
    def success(self) -> bool:
        return self.run.success

    @property
    def failure(self) -> str:
        """One line naming the failed steps (empty on success)."""
        if self.run.success:
            return ""
        by_message: dict[str, list[str]] = {}
        for step, message in self.run.failures.items():
            by_message.setdefault(message, []).append(step)
        parts = "; ".join(f"{', '.join(steps)}: {message}" for message, steps in by_message.items())
        return f"run {self.run.run_id} failed" + (f": {parts}" if parts else "")


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def refresh(
    start: date | None = None,
    end: date | None = None,
    *,
    verbose: bool = False,
    announce: Callable[[str], None] = _stderr,
) -> RefreshResult:
    """Refresh ``start..end`` (defaults: see `select_source`) and summarise what landed."""
    if start and end and start > end:
        raise RefreshError(f"--start {start} is after --end {end}")
    if not verbose:
        for noisy in ("httpx", "alembic"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    db_path = warehouse_path().resolve()
    with select_source(start, end) as source:
        first, last = validate_range(source.start, source.end)
        if source.is_demo:
            announce(
                f"DEMO MODE: {BASE_URL_ENV} is not set, so the bundled demo gateway serves SYNTHETIC data at "
                f"{source.base_url}.\nDEMO MODE: loading {first}..{last} into {db_path} "
                f"(set {BASE_URL_ENV} and {API_KEY_ENV} to load a real LiteLLM gateway)."
            )
        else:
            announce(f"Refreshing {first}..{last} from {public_source_url(source.base_url)} into {db_path}")
        run_env = {BASE_URL_ENV: source.base_url, API_KEY_ENV: source.api_key, DB_ENV_VAR: str(db_path)}
        with patched_environ(run_env), open_instance() as instance:
            outcome = run_job(instance, first, last, log_level="INFO" if verbose else "CRITICAL")
    report = summarize(db_path, first, last, is_demo=source.is_demo, run_id=outcome.run_id)
    if outcome.warnings:
        report += "\n" + "\n".join(f"warning: {name}: {text}" for name, text in outcome.warnings.items())
    return RefreshResult(source, first, last, db_path, outcome, report)


RAW_TABLES = ("team_daily_activity", "spend_logs", "teams", "keys", "models")
TOP_TEAMS = 5


def raw_row_counts(db_path: Path) -> dict[str, int]:
    """Rows per raw table (whole table) in the warehouse."""
    from pipeline.warehouse.connection import read_connection

    counts: dict[str, int] = {}
    with read_connection(db_path) as conn:
        for table in RAW_TABLES:
            counts[table] = int(conn.execute(f"SELECT count(*) FROM raw.{table}").fetchall()[0][0])
    return counts


def summarize(db_path: Path, start: date, end: date, *, is_demo: bool, run_id: str) -> str:
    """A short report: raw rows, mart totals for the range, and the top teams by spend."""
    from pipeline.query.usage import leaderboard

    lines = [f"{'DEMO data' if is_demo else 'Warehouse'}: {db_path}  (run {run_id}, days {start}..{end})"]
    try:
        counts = raw_row_counts(db_path)
        lines.append("raw rows: " + ", ".join(f"{table}={n:,}" for table, n in counts.items()))
        board = leaderboard(start, end, by="spend", db=db_path)
    except Exception as exc:  # the report must never hide the run's own outcome
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        lines.append(f"(no mart summary: {reason})")
        return "\n".join(lines)
    requests = int(board["api_requests"].sum() or 0)
    successes = int(board["successful_requests"].sum() or 0)
    rate = f"{successes / requests:.1%}" if requests else "n/a"
    lines.append(
        f"marts {start}..{end}: tokens={int(board['total_tokens'].sum() or 0):,} "
        f"spend=${float(board['spend'].sum() or 0):,.2f} requests={requests:,} success_rate={rate}"
    )
    lines.append(f"top {TOP_TEAMS} teams by spend:")
    for row in board.head(TOP_TEAMS).iter_rows(named=True):
        team_rate = "n/a" if row["success_rate"] is None else f"{row['success_rate']:.1%}"
        lines.append(
            f"  {row['team_alias'] or row['team_id']:<28} spend=${row['spend']:>10,.2f} "
            f"tokens={row['total_tokens']:>14,} requests={row['api_requests']:>9,} success={team_rate}"
        )
    return "\n".join(lines)
