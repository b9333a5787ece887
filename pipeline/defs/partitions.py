"""The one daily partitioning shared by every partitioned asset, check and job."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, datetime, timedelta

import dagster as dg

START_DATE_ENV = "LITELLM_USAGE_START_DATE"
DEFAULT_START_DATE = "2025-01-01"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def partition_start_date(environ: Mapping[str, str] | None = None) -> str:
    """First partition (``$LITELLM_USAGE_START_DATE``, default 2025-01-01), validated as YYYY-MM-DD."""
    env = os.environ if environ is None else environ
    value = env.get(START_DATE_ENV, "").strip() or DEFAULT_START_DATE
    try:
        date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{START_DATE_ENV} must be a date like 2025-01-01, got {value!r}") from exc
    return value


def daily_partitions(environ: Mapping[str, str] | None = None) -> dg.DailyPartitionsDefinition:
    """UTC days from the start date up to and including today (``end_offset=1``: today refreshes intraday)."""
    return dg.DailyPartitionsDefinition(
        start_date=partition_start_date(environ), timezone="UTC", end_offset=1
    )


def window_days(start: datetime, end: datetime) -> list[date]:
    """The UTC days of a half-open partition time window ``[start, end)``."""
    first, stop = start.date(), end.date()
    return [first + timedelta(days=i) for i in range((stop - first).days)]


def range_tags(start_key: str, end_key: str) -> dict[str, str]:
    """Run tags that make one run cover the partition range (a single-run backfill)."""
    return {RANGE_START_TAG: start_key, RANGE_END_TAG: end_key}
