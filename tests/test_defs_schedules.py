"""The schedules request the right partitions, and the shared partitioning is configured as documented."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

from pipeline.definitions import defs
from pipeline.defs import jobs, partitions


def _tick(schedule: dg.ScheduleDefinition, when: datetime) -> list[dg.RunRequest]:
    repository = defs().get_repository_def()
    context = dg.build_schedule_context(scheduled_execution_time=when, repository_def=repository)
    result = schedule.evaluate_tick(context)
    return list(result.run_requests or [])


def test_intraday_refresh_is_one_run_over_yesterday_and_today() -> None:
    (request,) = _tick(jobs.intraday_refresh, datetime(2026, 3, 1, 15, 15, tzinfo=UTC))
    assert request.partition_key is None
    assert request.tags[partitions.RANGE_START_TAG] == "2026-02-28"
    assert request.tags[partitions.RANGE_END_TAG] == "2026-03-01"


def test_intraday_refresh_just_after_midnight_still_covers_the_closed_day() -> None:
    (request,) = _tick(jobs.intraday_refresh, datetime(2026, 1, 1, 0, 15, tzinfo=UTC))
    assert (request.tags[partitions.RANGE_START_TAG], request.tags[partitions.RANGE_END_TAG]) == (
        "2025-12-31",
        "2026-01-01",
    )


def test_daily_finalize_requests_the_previous_day() -> None:
    (request,) = _tick(jobs.daily_finalize, datetime(2026, 3, 1, 1, 30, tzinfo=UTC))
    assert request.partition_key == "2026-02-28"


def test_schedules_run_by_default_in_utc() -> None:
    for schedule, cron in (
        (jobs.intraday_refresh, jobs.INTRADAY_CRON),
        (jobs.daily_finalize, jobs.FINALIZE_CRON),
    ):
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
        assert schedule.execution_timezone == "UTC"
        assert schedule.cron_schedule == cron
        assert schedule.job_name == jobs.DAILY_USAGE_JOB


def test_partitions_include_today_and_read_the_start_date_from_the_environment() -> None:
    daily = partitions.daily_partitions({partitions.START_DATE_ENV: "2026-01-01"})
    now = datetime(2026, 1, 3, 12, tzinfo=UTC)
    assert daily.get_partition_keys(current_time=now) == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert daily.timezone == "UTC"
    assert partitions.daily_partitions({}).start.strftime("%Y-%m-%d") == partitions.DEFAULT_START_DATE


def test_bad_start_date_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="LITELLM_USAGE_START_DATE"):
        partitions.daily_partitions({partitions.START_DATE_ENV: "01/02/2025"})


def test_window_days_covers_a_half_open_window() -> None:
    days = partitions.window_days(datetime(2026, 1, 30, tzinfo=UTC), datetime(2026, 2, 2, tzinfo=UTC))
    assert [d.isoformat() for d in days] == ["2026-01-30", "2026-01-31", "2026-02-01"]
