"""Usage questions over the daily marts: leaderboard, per-team totals, daily series, success rate, models.

Every function takes ``start``/``end`` as ISO dates (``YYYY-MM-DD``, UTC days, both inclusive), validates
its input (raising a `QueryError` subclass), and returns a polars DataFrame with the columns its docstring
lists.
A valid range without data gives an empty frame with the same columns. ``db`` is the warehouse file (default
``warehouse_path()``); reads go to its published snapshot. Metric columns: ``spend`` (USD, Float64) and the
Int64 counts ``prompt_tokens``, ``completion_tokens``, ``cache_read_input_tokens``,
``cache_creation_input_tokens``, ``total_tokens``, ``api_requests``, ``successful_requests``,
``failed_requests``; ``success_rate = successful_requests / api_requests`` (null without requests).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import polars as pl

from pipeline.query.access import reader
from pipeline.query.params import DateLike, choice, date_range, positive_limit, resolve_names
from pipeline.query.sql import METRICS, SUCCESS_RATE, Where, summed

Db = str | os.PathLike[str] | None
Names = str | Iterable[str] | None
_METRIC_COLUMNS = ", ".join(METRICS)


def _limit(limit: int | None) -> str:
    return f" LIMIT {limit}" if limit is not None else ""


def leaderboard(
    start: DateLike, end: DateLike, *, by: str = "tokens", limit: int | None = None, db: Db = None
) -> pl.DataFrame:
    """Teams ranked by total tokens or spend over the range.

    Columns: ``rank`` (1 = largest; ties share a rank), ``team_id``, ``team_alias`` (latest in range),
    ``total_tokens``, ``spend``, ``api_requests``, ``successful_requests``, ``success_rate``,
    ``share`` (the team's fraction of the ranking metric over all teams in range, 0..1; null if the total
    is 0).
    ``limit`` keeps the top N rows; shares stay relative to all teams.
    """
    span = date_range(start, end)
    metric = {"tokens": "total_tokens", "spend": "spend"}[choice(by, "by", ("tokens", "spend"))]
    top = positive_limit(limit)
    sql = f"""
        WITH t AS (
            SELECT team_id, arg_max(team_alias, date) AS team_alias,
                   {summed(("total_tokens", "spend", "api_requests", "successful_requests"))}
            FROM marts.team_usage_daily WHERE date BETWEEN ? AND ? GROUP BY team_id
        )
        SELECT rank() OVER (ORDER BY {metric} DESC)::BIGINT AS rank, team_id, team_alias,
               total_tokens, spend, api_requests, successful_requests, {SUCCESS_RATE},
               {metric}::DOUBLE / nullif(sum({metric}) OVER (), 0) AS share
        FROM t ORDER BY rank, team_id{_limit(top)}
    """
    with reader(db) as r:
        return r.frame(sql, [span.start, span.end], small=True)


def team_usage(
    start: DateLike, end: DateLike, *, team: Names = None, limit: int | None = None, db: Db = None
) -> pl.DataFrame:
    """Usage per team summed over the range (the old ``/tokens``), largest ``total_tokens`` first.

    Columns: ``team_id``, ``team_alias`` (latest in range), ``active_days`` (days with traffic, i.e. rows
    of the mart's (date, team_id) grain), the metric columns, ``success_rate``. ``team`` filters by team id
    or alias (one or several).
    """
    span = date_range(start, end)
    top = positive_limit(limit)
    with reader(db) as r:
        where = Where("date BETWEEN ? AND ?", span.start, span.end)
        where.add_in("team_id", resolve_names(team, r.teams(), "team"))
        sql = f"""
            WITH t AS (
                SELECT team_id, arg_max(team_alias, date) AS team_alias,
                       count(*)::BIGINT AS active_days, {summed()}
                FROM marts.team_usage_daily {where.sql()} GROUP BY team_id
            )
            SELECT team_id, team_alias, active_days, {_METRIC_COLUMNS}, {SUCCESS_RATE}
            FROM t ORDER BY total_tokens DESC, team_id{_limit(top)}
        """
        return r.frame(sql, where.params, small=True)


def timeseries(
    start: DateLike,
    end: DateLike,
    *,
    by: str = "team",
    team: Names = None,
    model: Names = None,
    db: Db = None,
) -> pl.DataFrame:
    """Daily usage per team (``by='team'``) or per model (``by='model'``); only days with traffic appear.

    Columns for ``by='team'``: ``date``, ``team_id``, ``team_alias``, the metric columns, ``success_rate``.
    Columns for ``by='model'``: ``date``, ``model``, ``model_group``, ``provider``, the metric columns,
    ``success_rate``. ``team`` (id or alias) and ``model`` (model or model group) filter; a filter on the
    other dimension reads ``marts.team_model_usage_daily``. Sorted by date, then key.
    """
    span = date_range(start, end)
    dimension = choice(by, "by", ("team", "model"))
    with reader(db) as r:
        teams = resolve_names(team, r.teams(), "team")
        models = resolve_names(model, r.models(), "model")
        where = Where("date BETWEEN ? AND ?", span.start, span.end).add_in("team_id", teams)
        where.add_in("model", models)
        if dimension == "team":
            table = "team_usage_daily" if models is None else "team_model_usage_daily"
            keys, labels = "team_id", "any_value(team_alias) AS team_alias"
            columns = "date, team_id, team_alias"
        else:
            table = "model_usage_daily" if teams is None else "team_model_usage_daily"
            keys = "model"
            labels = "any_value(model_group) AS model_group, any_value(provider) AS provider"
            columns = "date, model, model_group, provider"
        sql = f"""
            WITH t AS (
                SELECT date, {keys}, {labels}, {summed()}
                FROM marts.{table} {where.sql()} GROUP BY date, {keys}
            )
            SELECT {columns}, {_METRIC_COLUMNS}, {SUCCESS_RATE} FROM t ORDER BY date, {keys}
        """
        return r.frame(sql, where.params)


def success_rate(
    start: DateLike, end: DateLike, *, team: Names = None, daily: bool = False, db: Db = None
) -> pl.DataFrame:
    """Request success per team over the range, or per team and day with ``daily=True``.

    Columns: ``date`` (only when ``daily``), ``team_id``, ``team_alias``, ``api_requests``,
    ``successful_requests``, ``failed_requests``, ``success_rate`` (summed successes / summed requests, never
    an average of daily rates). Per-team rows come lowest success rate first; daily rows by team, then date.
    """
    span = date_range(start, end)
    with reader(db) as r:
        where = Where("date BETWEEN ? AND ?", span.start, span.end)
        where.add_in("team_id", resolve_names(team, r.teams(), "team"))
        counts = summed(("api_requests", "successful_requests", "failed_requests"))
        if daily:
            group, alias, columns = "date, team_id", "any_value(team_alias)", "date, team_id, team_alias"
            order = "team_id, date"
        else:
            group, alias, columns = "team_id", "arg_max(team_alias, date)", "team_id, team_alias"
            order = "success_rate ASC NULLS LAST, team_id"
        sql = f"""
            WITH t AS (
                SELECT {group}, {alias} AS team_alias, {counts}
                FROM marts.team_usage_daily {where.sql()} GROUP BY {group}
            )
            SELECT {columns}, api_requests, successful_requests, failed_requests, {SUCCESS_RATE}
            FROM t ORDER BY {order}
        """
        return r.frame(sql, where.params, small=not daily)


def model_usage(
    start: DateLike,
    end: DateLike,
    *,
    model: Names = None,
    team: Names = None,
    limit: int | None = None,
    db: Db = None,
) -> pl.DataFrame:
    """Usage per model summed over the range, highest spend first.

    Columns: ``model``, ``model_group``, ``provider``, the metric columns, ``success_rate``, ``teams_using``
    (distinct team ids with traffic on the model in range, ``'Unassigned'`` counting as one). ``model``
    filters by model or model group; ``team`` (id or alias) restricts to those teams' traffic.
    """
    span = date_range(start, end)
    top = positive_limit(limit)
    with reader(db) as r:
        teams = resolve_names(team, r.teams(), "team")
        models = resolve_names(model, r.models(), "model")
        where = Where("date BETWEEN ? AND ?", span.start, span.end).add_in("team_id", teams)
        where.add_in("model", models)
        table = "model_usage_daily" if teams is None else "team_model_usage_daily"
        sql = f"""
            WITH m AS (
                SELECT model, any_value(model_group) AS model_group, any_value(provider) AS provider,
                       {summed()}
                FROM marts.{table} {where.sql()} GROUP BY model
            ), u AS (
                SELECT model, count(DISTINCT team_id)::BIGINT AS teams_using
                FROM marts.team_model_usage_daily {where.sql()} GROUP BY model
            )
            SELECT m.model, model_group, provider, {_METRIC_COLUMNS}, {SUCCESS_RATE},
                   coalesce(u.teams_using, 0)::BIGINT AS teams_using
            FROM m LEFT JOIN u ON u.model = m.model ORDER BY spend DESC, m.model{_limit(top)}
        """
        return r.frame(sql, where.params + where.params, small=True)
