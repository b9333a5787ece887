"""Cost efficiency per team and model over a range (the old ``/tokens/cost-efficiency``)."""

from __future__ import annotations

import polars as pl

from pipeline.query.access import reader
from pipeline.query.params import DateLike, positive_limit, resolve_names
from pipeline.query.params import date_range as validate_range
from pipeline.query.sql import Where, summed
from pipeline.query.usage import Db, Names

_SUMMED = (
    "spend",
    "prompt_tokens",
    "completion_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "total_tokens",
    "successful_requests",
)


def cost_efficiency(
    start: DateLike,
    end: DateLike,
    *,
    team: Names = None,
    model: Names = None,
    limit: int | None = None,
    db: Db = None,
) -> pl.DataFrame:
    """Spend and efficiency ratios per team x model over the range, highest spend first.

    Columns: ``team_id``, ``team_alias`` (latest in range), ``model``, ``model_group``, ``provider``,
    ``spend``, ``prompt_tokens``, ``completion_tokens``, ``cache_read_input_tokens``,
    ``cache_creation_input_tokens``, ``total_tokens``, ``successful_requests``, and ratios recomputed
    from the range sums (never averaged): ``spend_per_1k_tokens = 1000 * spend / total_tokens``,
    ``tokens_per_usd = total_tokens / spend``, ``spend_per_successful_request = spend /
    successful_requests``, ``cache_read_share = cache_read_input_tokens / prompt_tokens`` (each null
    when its denominator is 0); ``list_price_cost`` and ``list_price_savings`` summed, null unless
    every day in range has a list price.
    """
    span = validate_range(start, end)
    top = positive_limit(limit)
    with reader(db) as r:
        where = Where("date BETWEEN ? AND ?", span.start, span.end)
        where.add_in("team_id", resolve_names(team, r.teams(), "team"))
        where.add_in("model", resolve_names(model, r.models(), "model"))
        sql = f"""
            WITH t AS (
                SELECT team_id, arg_max(team_alias, date) AS team_alias, model,
                       any_value(model_group) AS model_group, any_value(provider) AS provider,
                       {summed(_SUMMED)},
                       CASE WHEN count(list_price_cost) = count(*) THEN sum(list_price_cost) END::DOUBLE
                           AS list_price_cost,
                       CASE WHEN count(list_price_savings) = count(*) THEN sum(list_price_savings) END::DOUBLE
                           AS list_price_savings
                FROM marts.cost_efficiency {where.sql()} GROUP BY team_id, model
            )
            SELECT team_id, team_alias, model, model_group, provider, {", ".join(_SUMMED)},
                   1000 * spend / nullif(total_tokens, 0) AS spend_per_1k_tokens,
                   total_tokens / nullif(spend, 0) AS tokens_per_usd,
                   spend / nullif(successful_requests, 0) AS spend_per_successful_request,
                   cache_read_input_tokens::DOUBLE / nullif(prompt_tokens, 0) AS cache_read_share,
                   list_price_cost, list_price_savings
            FROM t ORDER BY spend DESC, team_id, model{f" LIMIT {top}" if top is not None else ""}
        """
        return r.frame(sql, where.params, small=True)
