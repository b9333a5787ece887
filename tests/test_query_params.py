"""Input validation: every bad input raises a typed QueryError naming the parameter and the accepted form."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from pipeline import query
from pipeline.query import params
from tests.test_query_seed import seeded_warehouse


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = seeded_warehouse(tmp_path_factory.mktemp("wh") / "usage.duckdb")
    yield path
    query.close_cached()


@pytest.mark.parametrize("bad", ["2026-3-1", "03/01/2026", "2026-02-30", "yesterday", "", "2026-03-01T00:00"])
def test_bad_dates(db: Path, bad: str) -> None:
    with pytest.raises(query.InvalidDateError) as err:
        query.leaderboard(bad, "2026-03-03", db=db)
    assert err.value.parameter == "start"
    assert "YYYY-MM-DD" in str(err.value)


def test_a_datetime_is_not_a_date(db: Path) -> None:
    with pytest.raises(query.InvalidDateError, match=r"^end: "):
        query.team_usage("2026-03-01", datetime(2026, 3, 3, 12), db=db)  # type: ignore[arg-type]


def test_reversed_range(db: Path) -> None:
    with pytest.raises(query.InvalidRangeError, match=r"start: 2026-03-03 is after end 2026-03-01") as err:
        query.timeseries("2026-03-03", "2026-03-01", db=db)
    assert err.value.accepted == "start <= end"


def test_span_limit_default_and_configurable(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert params.date_range("2025-01-01", "2026-02-04").days == 400
    with pytest.raises(query.InvalidRangeError, match="401 days"):
        query.success_rate("2025-01-01", "2026-02-05", db=db)
    monkeypatch.setenv(params.MAX_SPAN_ENV_VAR, "7")
    with pytest.raises(query.InvalidRangeError, match="at most 7 days"):
        query.model_usage("2026-03-01", "2026-03-08", db=db)
    monkeypatch.setenv(params.MAX_SPAN_ENV_VAR, "seven")
    with pytest.raises(query.InvalidOptionError, match=params.MAX_SPAN_ENV_VAR):
        query.model_usage("2026-03-01", "2026-03-02", db=db)


def test_unknown_team_suggests_close_matches(db: Path) -> None:
    with pytest.raises(query.UnknownTeamError) as err:
        query.team_usage("2026-03-01", "2026-03-03", team="alpah", db=db)
    assert err.value.parameter == "team"
    assert err.value.suggestions[0] == "alpha"
    assert "unknown team 'alpah'; did you mean 'alpha'" in str(err.value)
    with pytest.raises(query.UnknownTeamError, match="did you mean 't-beta'"):
        query.success_rate("2026-03-01", "2026-03-03", team="T-Beta", db=db)
    with pytest.raises(query.UnknownTeamError, match=r"unknown team 'zzz' \(expected"):
        query.cost_efficiency("2026-03-01", "2026-03-03", team=["alpha", "zzz"], db=db)


def test_unknown_model_suggests_close_matches(db: Path) -> None:
    with pytest.raises(query.UnknownModelError) as err:
        query.model_usage("2026-03-01", "2026-03-03", model="gpt-4o-mni", db=db)
    assert err.value.parameter == "model"
    assert "gpt-4o-mini" in err.value.suggestions


def test_hourly_model_group_names_a_models_group(db: Path) -> None:
    with pytest.raises(query.UnknownModelError, match="'gpt-4o-2024' is in group 'gpt-4o'") as err:
        query.hourly_usage("2026-03-29", "2026-03-29", model_group="gpt-4o-2024", db=db)
    assert err.value.parameter == "model_group"


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda db: query.leaderboard("2026-03-01", "2026-03-03", by="requests", db=db), "by"),
        (lambda db: query.timeseries("2026-03-01", "2026-03-03", by="day", db=db), "by"),
        (lambda db: query.leaderboard("2026-03-01", "2026-03-03", limit=0, db=db), "limit"),
        (lambda db: query.model_usage("2026-03-01", "2026-03-03", limit=True, db=db), "limit"),
        (lambda db: query.hourly_usage("2026-03-01", "2026-03-03", tz="Mars/Olympus", db=db), "tz"),
        (lambda db: query.hourly_usage("2026-03-01", "2026-03-03", tz="../etc/passwd", db=db), "tz"),
    ],
)
def test_bad_options(db: Path, call, parameter: str) -> None:
    with pytest.raises(query.InvalidOptionError) as err:
        call(db)
    assert err.value.parameter == parameter
    assert str(err.value).startswith(f"{parameter}: ")
    assert "expected" in str(err.value)


def test_validation_happens_before_touching_the_warehouse(tmp_path: Path) -> None:
    with pytest.raises(query.InvalidDateError):
        query.leaderboard("nope", "2026-03-03", db=tmp_path / "missing.duckdb")


def test_missing_warehouse_is_a_runtime_error(tmp_path: Path) -> None:
    with pytest.raises(
        query.WarehouseUnavailableError, match="no warehouse yet: run `litellm-usage refresh`"
    ):
        query.leaderboard("2026-03-01", "2026-03-03", db=tmp_path / "missing.duckdb")


def test_default_range_is_the_30_days_ending_yesterday() -> None:
    span = params.default_range(today=date(2026, 3, 31))
    assert (span.start, span.end, span.days) == (date(2026, 3, 1), date(2026, 3, 30), 30)
