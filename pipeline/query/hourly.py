"""Hourly usage from ``marts.hourly_usage``, optionally in a local time zone (the old ``/tokens/hourly``).

Latency: the mart stores exact p50/p95 per (UTC hour, team, model group). Percentiles of several groups cannot
be combined exactly, so an hour's row gives ``latency_p50_ms_wmean`` / ``latency_p95_ms_wmean`` (the
request-weighted mean of the groups' values: an approximation, labelled as such) and ``latency_p95_ms_max``
(the largest group p95, a true upper bound of the hour's p95, since a mixture's quantile never exceeds its
components' largest). With a single team and model group selected, the wmean columns are the exact values.
Unfiltered queries on a snapshot read its per-hour rollup ``main.hourly_totals`` (same sums, same results).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import polars as pl

from pipeline.query.access import reader
from pipeline.query.params import DateLike, resolve_names, time_zone
from pipeline.query.params import date_range as validate_range
from pipeline.query.sql import Where, summed
from pipeline.query.usage import Db, Names
from pipeline.warehouse.snapshot import HOURLY_TOTALS_TABLE

_COUNTS = (
    "api_requests",
    "successful_requests",
    "failed_requests",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "spend",
)


def _weighted(column: str) -> str:
    weight = f"CASE WHEN {column} IS NOT NULL THEN api_requests END"
    return f"(sum({column}::DOUBLE * api_requests) / nullif(sum({weight}), 0))::DOUBLE AS {column}_wmean"


def hourly_usage(
    start: DateLike,
    end: DateLike,
    *,
    tz: str = "UTC",
    team: Names = None,
    model_group: Names = None,
    db: Db = None,
) -> pl.DataFrame:
    """One row per UTC hour with traffic, for the local days ``start``..``end`` (inclusive) in ``tz``.

    ``tz`` is an IANA zone; local times follow its DST rules (a spring-forward day has 23 local hours, an
    autumn day 25, the repeated hour appearing twice with different ``hour_utc``). Columns: ``hour_utc``
    (Datetime UTC, hour start), ``hour_local`` (Datetime in ``tz``), ``local_date``, ``local_hour`` (0-23, the
    hour containing the UTC hour's start), ``weekday`` (local, 1 = Monday .. 7 = Sunday), ``api_requests``,
    ``successful_requests``, ``failed_requests``, ``prompt_tokens``, ``completion_tokens``, ``total_tokens``,
    ``spend``, ``success_rate``, ``latency_p50_ms_wmean``, ``latency_p95_ms_wmean``, ``latency_p95_ms_max``
    (see the module docstring). ``team`` filters by id or alias, ``model_group`` by model group.
    """
    span = validate_range(start, end)
    zone = time_zone(tz)
    lower = datetime.combine(span.start, time(), zone).astimezone(UTC)
    upper = datetime.combine(span.end + timedelta(days=1), time(), zone).astimezone(UTC)
    with reader(db) as r:
        groups = r.model_groups()
        hints = {
            model: f"; hourly usage is by model group: {model!r} is in group {group!r}"
            for model, group in r.model_to_group().items()
            if model not in groups.spellings
        }
        teams = resolve_names(team, r.teams(), "team")
        groups_selected = resolve_names(model_group, groups, "model_group", hints=hints)
        where = Where("hour >= ? AND hour < ?", lower, upper)
        where.conditions.append("date BETWEEN ? AND ?")
        where.params += [lower.date(), upper.date()]
        if teams is None and groups_selected is None and r.has_table("main", HOURLY_TOTALS_TABLE):
            sql = f"""
                SELECT hour AS hour_utc, {", ".join(_COUNTS)},
                       successful_requests::DOUBLE / nullif(api_requests, 0) AS success_rate,
                       (latency_p50_ms_weighted / nullif(latency_p50_ms_weight, 0))::DOUBLE
                           AS latency_p50_ms_wmean,
                       (latency_p95_ms_weighted / nullif(latency_p95_ms_weight, 0))::DOUBLE
                           AS latency_p95_ms_wmean,
                       latency_p95_ms_max
                FROM main.{HOURLY_TOTALS_TABLE} {where.sql()} ORDER BY hour
            """
        else:
            where.add_in("team_id", teams).add_in("model_group", groups_selected)
            sql = f"""
                SELECT hour AS hour_utc, {summed(_COUNTS)},
                       sum(successful_requests)::DOUBLE / nullif(sum(api_requests), 0) AS success_rate,
                       {_weighted("latency_p50_ms")}, {_weighted("latency_p95_ms")},
                       max(latency_p95_ms)::DOUBLE AS latency_p95_ms_max
                FROM marts.hourly_usage {where.sql()} GROUP BY hour ORDER BY hour
            """
        frame = r.frame(sql, where.params)
    local = pl.col("hour_utc").dt.convert_time_zone(zone.key)
    frame = frame.with_columns(pl.col("hour_utc").dt.replace_time_zone("UTC") if _naive(frame) else [])
    return frame.select(
        "hour_utc",
        local.alias("hour_local"),
        local.dt.date().alias("local_date"),
        local.dt.hour().cast(pl.Int8).alias("local_hour"),
        local.dt.weekday().cast(pl.Int8).alias("weekday"),
        pl.exclude("hour_utc"),
    )


def _naive(frame: pl.DataFrame) -> bool:
    dtype = frame.schema["hour_utc"]
    return isinstance(dtype, pl.Datetime) and dtype.time_zone is None
