"""The daily usage job and the schedules that keep it fresh."""

from datetime import UTC, date, datetime, timedelta

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition

from pipeline.defs.partitions import range_tags

DAILY_USAGE_JOB = "daily_usage_job"
INTRADAY_CRON = "15 */3 * * *"
FINALIZE_CRON = "30 1 * * *"
LAYERS = ("raw", "staging", "marts", "serving")


def build_daily_usage_job() -> UnresolvedAssetJobDefinition:
    """raw -> staging -> marts -> serving (with their checks); partitioning is inferred from the assets."""
    return dg.define_asset_job(
        DAILY_USAGE_JOB,
        selection=dg.AssetSelection.groups(*LAYERS),
        description="Extract the partition range, rebuild staging and marts, publish snapshot and report.",
    )


def _tick_day(context: dg.ScheduleEvaluationContext) -> date:
    moment = context.scheduled_execution_time or datetime.now(UTC)
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).date()


@dg.schedule(
    name="intraday_refresh",
    cron_schedule=INTRADAY_CRON,
    execution_timezone="UTC",
    job_name=DAILY_USAGE_JOB,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every 3 hours: one run over yesterday..today (UTC), so late rows and today's traffic land.",
)
def intraday_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """One single-run backfill over [yesterday, today]."""
    today = _tick_day(context)
    start, end = (today - timedelta(days=1)).isoformat(), today.isoformat()
    return dg.RunRequest(tags=range_tags(start, end))


@dg.schedule(
    name="daily_finalize",
    cron_schedule=FINALIZE_CRON,
    execution_timezone="UTC",
    job_name=DAILY_USAGE_JOB,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="01:30 UTC: re-extract the previous (now closed) day once more to finalise it.",
)
def daily_finalize(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """The previous UTC day as one partition."""
    previous = (_tick_day(context) - timedelta(days=1)).isoformat()
    return dg.RunRequest(partition_key=previous)


@dg.definitions
def defs() -> dg.Definitions:
    """The job and both schedules."""
    return dg.Definitions(jobs=[build_daily_usage_job()], schedules=[intraday_refresh, daily_finalize])
