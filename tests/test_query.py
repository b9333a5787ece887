"""Query functions against hand-seeded marts (see tests/test_query_seed.py for the rows)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from pipeline import query
from tests.test_query_seed import seeded_warehouse

START, END = "2026-03-01", "2026-03-03"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = seeded_warehouse(tmp_path_factory.mktemp("wh") / "usage.duckdb")
    yield path
    query.close_cached()


def _rows(frame: pl.DataFrame, *columns: str) -> list[tuple[object, ...]]:
    return list(frame.select(columns).iter_rows())


def test_leaderboard_by_tokens_ranks_and_shares(db: Path) -> None:
    frame = query.leaderboard(START, END, db=db)
    assert _rows(frame, "rank", "team_id", "team_alias", "total_tokens") == [
        (1, "t-alpha", "alpha", 3000),
        (2, "t-beta", "beta-renamed", 700),
        (3, "Unassigned", "Unassigned", 100),
    ]
    assert frame["share"].to_list() == pytest.approx([3000 / 3800, 700 / 3800, 100 / 3800])
    assert frame["success_rate"].to_list() == pytest.approx([29 / 30, 9 / 10, 1 / 2])


def test_leaderboard_by_spend_with_limit_keeps_shares_of_all_teams(db: Path) -> None:
    frame = query.leaderboard(START, END, by="spend", limit=2, db=db)
    assert _rows(frame, "rank", "team_id") == [(1, "t-beta"), (2, "t-alpha")]
    assert frame["spend"].to_list() == pytest.approx([6.0, 4.0])
    assert frame["share"].to_list() == pytest.approx([6.0 / 10.5, 4.0 / 10.5])


def test_end_day_is_inclusive_and_single_day_ranges_work(db: Path) -> None:
    frame = query.leaderboard("2026-03-03", "2026-03-03", db=db)
    assert _rows(frame, "team_id", "total_tokens", "share") == [("t-beta", 200, 1.0)]
    two_days = query.team_usage(date(2026, 3, 2), date(2026, 3, 3), db=db)
    assert dict(_rows(two_days, "team_id", "total_tokens")) == {
        "t-alpha": 2000,
        "t-beta": 200,
        "Unassigned": 100,
    }


def test_team_usage_sums_metrics_and_filters_by_alias(db: Path) -> None:
    frame = query.team_usage(START, END, db=db)
    assert frame.columns[:3] == ["team_id", "team_alias", "active_days"]
    alpha = frame.row(0, named=True)
    assert alpha["team_id"] == "t-alpha"
    assert (alpha["active_days"], alpha["prompt_tokens"], alpha["completion_tokens"]) == (2, 1800, 1200)
    assert (alpha["cache_read_input_tokens"], alpha["cache_creation_input_tokens"]) == (100, 50)
    assert (alpha["api_requests"], alpha["successful_requests"], alpha["failed_requests"]) == (30, 29, 1)
    assert alpha["spend"] == pytest.approx(4.0)
    by_old_alias = query.team_usage(START, END, team="beta", db=db)
    assert _rows(by_old_alias, "team_id", "team_alias", "total_tokens") == [("t-beta", "beta-renamed", 700)]
    several = query.team_usage(START, END, team=["t-alpha", "Unassigned"], db=db)
    assert several["team_id"].to_list() == ["t-alpha", "Unassigned"]


def test_timeseries_by_team_and_by_model(db: Path) -> None:
    teams = query.timeseries(START, END, db=db)
    assert _rows(teams, "date", "team_id", "total_tokens") == [
        (date(2026, 3, 1), "t-alpha", 1000),
        (date(2026, 3, 1), "t-beta", 500),
        (date(2026, 3, 2), "Unassigned", 100),
        (date(2026, 3, 2), "t-alpha", 2000),
        (date(2026, 3, 3), "t-beta", 200),
    ]
    models = query.timeseries(START, END, by="model", db=db)
    assert _rows(models, "date", "model", "model_group", "spend")[:2] == [
        (date(2026, 3, 1), "claude-3-5", "claude", 5.2),
        (date(2026, 3, 1), "gpt-4o-2024", "gpt-4o", 0.8),
    ]
    assert models.height == 5


def test_timeseries_cross_filters_read_the_team_model_mart(db: Path) -> None:
    alpha_models = query.timeseries(START, END, by="model", team="alpha", db=db)
    assert _rows(alpha_models, "date", "model", "total_tokens") == [
        (date(2026, 3, 1), "claude-3-5", 200),
        (date(2026, 3, 1), "gpt-4o-2024", 800),
        (date(2026, 3, 2), "gpt-4o-2024", 2000),
    ]
    claude_by_team = query.timeseries(START, END, team=None, model="claude", db=db)
    assert _rows(claude_by_team, "date", "team_id", "total_tokens", "api_requests") == [
        (date(2026, 3, 1), "t-alpha", 200, 2),
        (date(2026, 3, 1), "t-beta", 500, 5),
    ]


def test_success_rate_per_team_and_per_day(db: Path) -> None:
    frame = query.success_rate(START, END, db=db)
    assert _rows(frame, "team_id", "api_requests", "successful_requests", "failed_requests") == [
        ("Unassigned", 2, 1, 1),
        ("t-beta", 10, 9, 1),
        ("t-alpha", 30, 29, 1),
    ]
    # 29/30, not the mean of the daily rates (0.9 and 1.0)
    assert frame["success_rate"].to_list() == pytest.approx([0.5, 0.9, 29 / 30])
    daily = query.success_rate(START, END, team="t-alpha", daily=True, db=db)
    assert _rows(daily, "date", "team_id", "success_rate") == [
        (date(2026, 3, 1), "t-alpha", 0.9),
        (date(2026, 3, 2), "t-alpha", 1.0),
    ]


def test_model_usage_with_teams_using_over_the_range(db: Path) -> None:
    frame = query.model_usage(START, END, db=db)
    assert _rows(frame, "model", "model_group", "provider", "total_tokens", "teams_using") == [
        ("claude-3-5", "claude", "anthropic", 700, 2),
        ("gpt-4o-2024", "gpt-4o", "openai", 2800, 1),
        ("gpt-4o-mini", "gpt-4o-mini", "openai", 300, 2),
    ]
    assert frame["spend"].to_list() == pytest.approx([5.2, 3.8, 1.5])
    assert frame["success_rate"].to_list() == pytest.approx([6 / 7, 27 / 28, 6 / 7])
    group = query.model_usage(START, END, model="gpt-4o", db=db)
    assert group["model"].to_list() == ["gpt-4o-2024"]
    beta = query.model_usage(START, END, team="t-beta", limit=1, db=db)
    assert _rows(beta, "model", "spend", "teams_using") == [("claude-3-5", 5.0, 1)]


def test_cost_efficiency_recomputes_ratios_from_sums(db: Path) -> None:
    frame = query.cost_efficiency(START, END, db=db)
    assert _rows(frame, "team_id", "model") == [
        ("t-beta", "claude-3-5"),
        ("t-alpha", "gpt-4o-2024"),
        ("t-beta", "gpt-4o-mini"),
        ("Unassigned", "gpt-4o-mini"),
        ("t-alpha", "claude-3-5"),
    ]
    alpha = frame.filter(pl.col("team_id") == "t-alpha", pl.col("model") == "gpt-4o-2024").row(0, named=True)
    assert alpha["spend"] == pytest.approx(3.8)
    assert (alpha["total_tokens"], alpha["prompt_tokens"], alpha["successful_requests"]) == (2800, 1700, 27)
    # daily spend_per_1k_tokens are 1.0 and 1.5 (mean 1.25); the range value is 3.8 / 2800 * 1000
    assert alpha["spend_per_1k_tokens"] == pytest.approx(3800 / 2800)
    assert alpha["tokens_per_usd"] == pytest.approx(2800 / 3.8)
    assert alpha["spend_per_successful_request"] == pytest.approx(3.8 / 27)
    assert alpha["cache_read_share"] == pytest.approx(100 / 1700)
    assert alpha["list_price_cost"] == pytest.approx(3.5)
    assert alpha["list_price_savings"] == pytest.approx(-0.3)
    unpriced = frame.filter(pl.col("model") == "claude-3-5")
    assert unpriced["list_price_cost"].to_list() == [None, None]
    filtered = query.cost_efficiency(START, END, team="alpha", model="claude-3-5", db=db)
    assert _rows(filtered, "team_id", "model", "spend_per_1k_tokens") == [("t-alpha", "claude-3-5", 1.0)]


def test_hourly_usage_in_utc(db: Path) -> None:
    frame = query.hourly_usage("2026-03-23", "2026-03-29", db=db)
    assert _rows(frame, "local_hour", "api_requests") == [
        (12, 5), (22, 4), (23, 6), (0, 8), (1, 3), (21, 1), (22, 7)
    ]  # fmt: skip
    merged = frame.filter(pl.col("api_requests") == 8).row(0, named=True)
    assert merged["hour_utc"] == datetime.fromisoformat("2026-03-29T00:00:00+00:00")
    # two groups in one hour: p50 (2*100 + 6*300) / 8, p95 (2*200 + 6*900) / 8, upper bound 900
    assert merged["latency_p50_ms_wmean"] == pytest.approx(250.0)
    assert merged["latency_p95_ms_wmean"] == pytest.approx(725.0)
    assert merged["latency_p95_ms_max"] == pytest.approx(900.0)
    assert merged["success_rate"] == pytest.approx(5 / 8)


def test_hourly_usage_across_the_berlin_dst_change(db: Path) -> None:
    # Europe/Berlin springs forward on Sunday 2026-03-29 at 01:00 UTC (02:00 CET -> 03:00 CEST).
    # Local week Mon 03-23 .. Sun 03-29 = UTC [03-22 23:00, 03-29 22:00).
    frame = query.hourly_usage("2026-03-23", "2026-03-29", tz="Europe/Berlin", db=db)
    assert _rows(frame, "local_date", "local_hour", "weekday", "api_requests") == [
        (date(2026, 3, 25), 13, 3, 5),  # 12:00 UTC + 1 h (CET)
        (date(2026, 3, 28), 23, 6, 4),  # 22:00 UTC + 1 h
        (date(2026, 3, 29), 0, 7, 6),  # 23:00 UTC on 03-28 is local midnight of the 29th
        (date(2026, 3, 29), 1, 7, 8),  # 00:00 UTC + 1 h, still CET
        (date(2026, 3, 29), 3, 7, 3),  # 01:00 UTC + 2 h: local 02:00 does not exist
        (date(2026, 3, 29), 23, 7, 1),  # 21:00 UTC + 2 h (CEST)
    ]  # 22:00 UTC on 03-29 is 00:00 on Monday 03-30: outside the range
    assert str(frame.schema["hour_local"]) == "Datetime(time_unit='us', time_zone='Europe/Berlin')"


def test_hourly_usage_filters_by_team_and_model_group(db: Path) -> None:
    frame = query.hourly_usage("2026-03-29", "2026-03-29", team="beta", model_group="claude", db=db)
    assert _rows(frame, "local_hour", "api_requests", "latency_p50_ms_wmean") == [
        (0, 6, 300.0), (21, 1, 80.0), (22, 7, 95.0)
    ]  # fmt: skip


def test_hourly_rollup_in_the_snapshot_gives_the_same_answer_as_the_mart(db: Path, tmp_path: Path) -> None:
    unpublished = seeded_warehouse(tmp_path / "main_only.duckdb", publish=False)
    with query.reader(db) as snap, query.reader(unpublished) as main:
        assert (snap.source, snap.has_table("main", "hourly_totals")) == ("snapshot", True)
        assert (main.source, main.has_table("main", "hourly_totals")) == ("warehouse", False)
    for tz in ("UTC", "Europe/Berlin"):
        from_rollup = query.hourly_usage("2026-03-20", "2026-03-31", tz=tz, db=db)
        from_mart = query.hourly_usage("2026-03-20", "2026-03-31", tz=tz, db=unpublished)
        assert from_rollup.height == 7
        assert from_rollup.equals(from_mart)


@pytest.mark.parametrize(
    ("call", "columns"),
    [
        (lambda db: query.leaderboard("2025-01-01", "2025-01-31", db=db), 9),
        (lambda db: query.team_usage("2025-01-01", "2025-01-31", db=db), 13),
        (lambda db: query.timeseries("2025-01-01", "2025-01-31", by="model", db=db), 14),
        (lambda db: query.success_rate("2025-01-01", "2025-01-31", daily=True, db=db), 7),
        (lambda db: query.model_usage("2025-01-01", "2025-01-31", db=db), 14),
        (lambda db: query.cost_efficiency("2025-01-01", "2025-01-31", db=db), 18),
        (lambda db: query.hourly_usage("2025-01-01", "2025-01-31", tz="Asia/Tokyo", db=db), 16),
    ],
)
def test_valid_range_without_data_gives_an_empty_frame_with_the_schema(db: Path, call, columns: int) -> None:
    empty = call(db)
    assert empty.height == 0
    assert empty.width == columns
    if "team_id" in empty.columns:
        assert empty.schema["team_id"] == pl.String
    if "spend" in empty.columns:
        assert empty.schema["spend"] == pl.Float64
