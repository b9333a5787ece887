"""One seeded synthetic request stream, and the daily rows LiteLLM would write from it (vectorised polars)."""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

import polars as pl

from pipeline.demo_gateway.catalog import (
    CACHE_HIT_RATE,
    HOURLY_PROFILE,
    KEY_MODEL_WEIGHTS,
    KEYS,
    LEGACY_STATUS_SHARE,
    MODELS,
    STRING_TAGS_SHARE,
    WEEKEND_FACTOR,
)
from pipeline.demo_gateway.config import GatewayConfig

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
DAILY_KEY_COLUMNS = (
    "date",
    "team_id",
    "api_key",
    "model",
    "custom_llm_provider",
    "mcp_namespaced_tool_name",
    "endpoint",
)
METRIC_COLUMNS = (
    "spend",
    "prompt_tokens",
    "completion_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "api_requests",
    "successful_requests",
    "failed_requests",
    "total_response_time_ms",
    "timed_requests",
)


@dataclass(frozen=True, slots=True)
class RequestStream:
    """The generated requests, sorted by ``start_ms``, plus the days they cover."""

    first_day: date
    end_day: date
    requests: pl.DataFrame


def _uniform(n: int, seed: int) -> pl.Series:
    """n deterministic uniforms in (0, 1) from a seeded hash of the row number."""
    bits = pl.int_range(0, n, eager=True, dtype=pl.UInt64).hash(seed=seed) // 2048
    return ((bits.cast(pl.Float64) + 0.5) / float(2**53)).alias("u")


def _categorical(u: pl.Expr, weights: list[float]) -> pl.Expr:
    """Index drawn from ``weights`` given uniforms ``u`` (inverse CDF)."""
    total = sum(weights)
    cum = list(accumulate(w / total for w in weights))[:-1]
    expr = pl.lit(0, dtype=pl.Int32)
    for c in cum:
        expr = expr + (u > c).cast(pl.Int32)
    return expr


def _day_counts(cfg: GatewayConfig, first_day: date) -> list[int]:
    rnd = random.Random(cfg.seed)
    counts = []
    for i in range(cfg.days + 1):
        day = first_day + timedelta(days=i)
        factor = WEEKEND_FACTOR if day.weekday() >= 5 else 1.0
        trend = 1.0 + 0.004 * i
        counts.append(round(cfg.requests_per_day * factor * trend * rnd.uniform(0.9, 1.1)))
    return counts


def end_day_cutoff_ms(cfg: GatewayConfig, end_day: date) -> int:
    """Epoch ms up to which ``end_day`` has traffic."""
    start = int(datetime(end_day.year, end_day.month, end_day.day, tzinfo=UTC).timestamp() * 1000)
    fraction = cfg.end_day_fraction
    if fraction is None:
        now = datetime.now(UTC)
        fraction = (now.timestamp() * 1000 - start) / DAY_MS if now.date() == end_day else 0.5
    return start + int(DAY_MS * min(max(fraction, 0.0), 1.0))


def generate_requests(cfg: GatewayConfig) -> RequestStream:
    """Generate the request stream: keys, models, diurnal start times, tokens, spend, failures."""
    end_day = cfg.end_day or datetime.now(UTC).date()
    first_day = end_day - timedelta(days=cfg.days)
    counts = _day_counts(cfg, first_day)
    n = sum(counts)
    s = cfg.seed * 1009
    first_ms = int(datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC).timestamp() * 1000)
    span = max(cfg.days, 1)

    key_frame = pl.DataFrame(
        {
            "key_idx": list(range(len(KEYS))),
            "active_until_day": [k.active_until * span if k.active_until < 1 else math.inf for k in KEYS],
        },
        schema={"key_idx": pl.Int32, "active_until_day": pl.Float64},
    )
    model_frame = pl.DataFrame(
        {
            "model_idx": list(range(len(MODELS))),
            "input_cost": [m.input_cost for m in MODELS],
            "output_cost": [m.output_cost for m in MODELS],
            "cache_read_cost": [m.cache_read_cost for m in MODELS],
            "cache_creation_cost": [m.cache_creation_cost for m in MODELS],
            "mean_prompt": [m.mean_prompt for m in MODELS],
            "mean_completion": [m.mean_completion for m in MODELS],
            "latency_ms": [m.latency_ms for m in MODELS],
            "cache_read_prob": [m.cache_read_prob for m in MODELS],
            "cache_creation_prob": [m.cache_creation_prob for m in MODELS],
            "failure_rate": [m.failure_rate for m in MODELS],
            "flat_spend": [m.flat_spend for m in MODELS],
            "is_embedding": [m.mode == "embedding" for m in MODELS],
            "is_mcp": [bool(m.mcp_tool) for m in MODELS],
        },
        schema_overrides={"model_idx": pl.Int32},
    )

    u = {
        name: _uniform(n, s + i)
        for i, name in enumerate(
            (
                "key",
                "model",
                "hour",
                "ms",
                "burst",
                "z1a",
                "z1b",
                "z2a",
                "z2b",
                "z3a",
                "z3b",
                "cache",
                "cache_share",
                "creation",
                "fail",
                "hit",
                "fail_ms",
                "rid",
                "cid",
            )
        )
    }
    key_weights = [k.weight for k in KEYS]
    frame = (
        pl.DataFrame(
            {"day_idx": list(range(len(counts))), "n": counts}, schema={"day_idx": pl.Int32, "n": pl.Int64}
        )
        .select(pl.col("day_idx").repeat_by("n"))
        .explode("day_idx")
        .with_columns(**{name: series for name, series in u.items()})
        .with_columns(key_idx=_categorical(pl.col("key"), key_weights))
    )
    model_expr = pl.lit(0, dtype=pl.Int32)
    for m in range(len(MODELS) - 1):
        cum = {}
        for k_idx, key in enumerate(KEYS):
            w = KEY_MODEL_WEIGHTS[key.key_alias]
            cum[k_idx] = sum(w[: m + 1]) / sum(w)
        model_expr = model_expr + (
            pl.col("model") > pl.col("key_idx").replace_strict(cum, return_dtype=pl.Float64)
        ).cast(pl.Int32)
    frame = (
        frame.with_columns(model_idx=model_expr, hour=_categorical(pl.col("hour"), list(HOURLY_PROFILE)))
        .join(key_frame, on="key_idx", how="left")
        .filter(pl.col("day_idx").cast(pl.Float64) < pl.col("active_until_day"))
        .join(model_frame, on="model_idx", how="left")
        .with_columns(
            start_ms=pl.lit(first_ms)
            + pl.col("day_idx").cast(pl.Int64) * DAY_MS
            + pl.col("hour").cast(pl.Int64) * HOUR_MS
            + (pl.col("ms") * HOUR_MS).floor().cast(pl.Int64),
            z1=(-2.0 * pl.col("z1a").log()).sqrt() * (2 * math.pi * pl.col("z1b")).cos(),
            z2=(-2.0 * pl.col("z2a").log()).sqrt() * (2 * math.pi * pl.col("z2b")).cos(),
            z3=(-2.0 * pl.col("z3a").log()).sqrt() * (2 * math.pi * pl.col("z3b")).cos(),
        )
        .sort("start_ms", "rid")
        .with_columns(
            start_ms=pl.when(pl.col("burst") < 0.03)
            .then(pl.col("start_ms").shift(1).over("day_idx"))
            .otherwise(pl.col("start_ms"))
            .fill_null(pl.col("start_ms"))
        )
        .with_columns(start_ms=_day_edges(first_ms))
        .sort("start_ms", "rid")
    )
    cutoff = end_day_cutoff_ms(cfg, end_day)
    frame = frame.filter(pl.col("start_ms") < cutoff)

    failed = pl.col("fail") < pl.col("failure_rate")
    cache_hit = ~failed & (pl.col("hit") < CACHE_HIT_RATE) & ~pl.col("is_embedding") & ~pl.col("is_mcp")
    prompt = (pl.col("mean_prompt") * (0.6 * pl.col("z1") - 0.18).exp()).round().cast(pl.Int64)
    completion = (pl.col("mean_completion") * (0.5 * pl.col("z2") - 0.125).exp()).round().cast(pl.Int64)
    frame = frame.with_columns(
        failed=failed,
        cache_hit=cache_hit,
        prompt_tokens=pl.when(failed).then(0).otherwise(prompt),
        completion_tokens=pl.when(failed).then(0).otherwise(completion),
    ).with_columns(
        cache_read_input_tokens=pl.when(pl.col("cache") < pl.col("cache_read_prob"))
        .then((pl.col("prompt_tokens") * (0.2 + 0.6 * pl.col("cache_share"))).floor().cast(pl.Int64))
        .otherwise(0),
        cache_creation_input_tokens=pl.when(pl.col("creation") < pl.col("cache_creation_prob"))
        .then((pl.col("prompt_tokens") * 0.15).floor().cast(pl.Int64))
        .otherwise(0),
    )
    duration = (
        pl.when(pl.col("failed"))
        .then(150 + pl.col("fail_ms") * 900)
        .otherwise(
            pl.col("latency_ms")
            * (0.35 * pl.col("z3")).exp()
            * (0.6 + 0.4 * pl.col("completion_tokens") / pl.col("mean_completion").clip(1.0, None))
        )
        .round()
        .cast(pl.Int64)
    )
    spend = (
        (pl.col("prompt_tokens") - pl.col("cache_read_input_tokens") - pl.col("cache_creation_input_tokens"))
        * pl.col("input_cost")
        + pl.col("cache_read_input_tokens") * pl.col("cache_read_cost")
        + pl.col("cache_creation_input_tokens") * pl.col("cache_creation_cost")
        + pl.col("completion_tokens") * pl.col("output_cost")
        + pl.col("flat_spend")
    )
    legacy_days = int(cfg.days * LEGACY_STATUS_SHARE)
    string_tag_days = int(cfg.days * STRING_TAGS_SHARE)
    requests = frame.with_columns(
        spend=pl.when(pl.col("failed") | pl.col("cache_hit")).then(0.0).otherwise(spend),
        total_tokens=pl.col("prompt_tokens") + pl.col("completion_tokens"),
        request_duration_ms=duration,
        status=pl.when(pl.col("failed"))
        .then(pl.lit("failure"))
        .when(pl.col("day_idx") < legacy_days)
        .then(pl.lit(None, dtype=pl.String))
        .otherwise(pl.lit("success")),
        tags_as_string=pl.col("day_idx") < string_tag_days,
        request_id=pl.concat_str(
            pl.lit("chatcmpl-demo-"),
            pl.int_range(0, pl.len(), dtype=pl.UInt64).hash(seed=s + 101).cast(pl.String).str.zfill(20),
        ),
        litellm_call_id=pl.concat_str(
            pl.lit("demo-call-"),
            pl.int_range(0, pl.len(), dtype=pl.UInt64).hash(seed=s + 102).cast(pl.String).str.zfill(20),
        ),
    ).with_columns(
        end_ms=pl.col("start_ms") + pl.col("request_duration_ms"),
        completion_start_ms=pl.when(pl.col("failed"))
        .then(pl.col("start_ms") + pl.col("request_duration_ms"))
        .otherwise(pl.col("start_ms") + (pl.col("request_duration_ms") * 0.3).round().cast(pl.Int64)),
    )
    return RequestStream(first_day=first_day, end_day=end_day, requests=requests)


def _lookup(column: str, values: list[object], dtype: pl.DataType) -> pl.Expr:
    return pl.col(column).replace_strict(dict(enumerate(values)), return_dtype=dtype)


def spend_log_frame(stream: RequestStream) -> pl.DataFrame:
    """The public per-request ground truth (``Dataset.spend_logs``), sorted by ``start_time``."""
    r = stream.requests
    return r.select(
        "request_id",
        start_time=pl.from_epoch("start_ms", time_unit="ms").dt.replace_time_zone("UTC"),
        end_time=pl.from_epoch("end_ms", time_unit="ms").dt.replace_time_zone("UTC"),
        completion_start_time=pl.from_epoch("completion_start_ms", time_unit="ms").dt.replace_time_zone(
            "UTC"
        ),
        date=pl.from_epoch("start_ms", time_unit="ms").dt.strftime("%Y-%m-%d"),
        team_id=_lookup("key_idx", [k.team_id for k in KEYS], pl.String()),
        api_key=_lookup("key_idx", [k.token for k in KEYS], pl.String()),
        key_alias=_lookup("key_idx", [k.key_alias for k in KEYS], pl.String()),
        user=_lookup("key_idx", [k.user_id for k in KEYS], pl.String()),
        model=_lookup("model_idx", [m.model for m in MODELS], pl.String()),
        model_group=_lookup("model_idx", [m.model_group for m in MODELS], pl.String()),
        model_id=_lookup("model_idx", [m.model_id for m in MODELS], pl.String()),
        custom_llm_provider=_lookup("model_idx", [m.provider for m in MODELS], pl.String()),
        endpoint=_lookup("model_idx", [m.endpoint for m in MODELS], pl.String()),
        call_type=_lookup("model_idx", [m.call_type for m in MODELS], pl.String()),
        mcp_namespaced_tool_name=_lookup("model_idx", [m.mcp_tool or None for m in MODELS], pl.String()),
        spend="spend",
        prompt_tokens="prompt_tokens",
        completion_tokens="completion_tokens",
        total_tokens="total_tokens",
        cache_read_input_tokens="cache_read_input_tokens",
        cache_creation_input_tokens="cache_creation_input_tokens",
        status="status",
        failed="failed",
        cache_hit="cache_hit",
        request_duration_ms="request_duration_ms",
        tags_as_string="tags_as_string",
        litellm_call_id="litellm_call_id",
        key_idx="key_idx",
        model_idx="model_idx",
        start_ms="start_ms",
    )


def daily_rows_from_requests(spend_logs: pl.DataFrame, seed: int) -> pl.DataFrame:
    """Aggregate requests into ``LiteLLM_DailyTeamSpend`` rows (one per unique key) with stable uuid ids."""
    rows = (
        spend_logs.with_columns(mcp_namespaced_tool_name=pl.col("mcp_namespaced_tool_name").fill_null(""))
        .group_by(DAILY_KEY_COLUMNS)
        .agg(
            model_group=pl.col("model_group").first(),
            spend=pl.col("spend").sum(),
            prompt_tokens=pl.col("prompt_tokens").sum(),
            completion_tokens=pl.col("completion_tokens").sum(),
            cache_read_input_tokens=pl.col("cache_read_input_tokens").sum(),
            cache_creation_input_tokens=pl.col("cache_creation_input_tokens").sum(),
            api_requests=pl.len().cast(pl.Int64),
            successful_requests=(~pl.col("failed")).sum().cast(pl.Int64),
            failed_requests=pl.col("failed").sum().cast(pl.Int64),
            total_response_time_ms=pl.when(~pl.col("failed")).then(pl.col("request_duration_ms")).sum(),
            timed_requests=(~pl.col("failed")).sum().cast(pl.Int64),
        )
        .sort(DAILY_KEY_COLUMNS)
    )
    rnd = random.Random(seed * 7919 + 1)
    ids = [str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for _ in range(rows.height)]
    return rows.with_columns(id=pl.Series(ids, dtype=pl.String)).select(
        "id", *DAILY_KEY_COLUMNS, "model_group", *METRIC_COLUMNS
    )


def _day_edges(first_ms: int) -> pl.Expr:
    """Each day's first request starts exactly at midnight and its last in the day's final second.

    Spend-log windows are inclusive at second precision while ``startTime`` has milliseconds, so these two
    requests exercise both edges of every daily window in every demo dataset.
    """
    day_start = pl.lit(first_ms) + pl.col("day_idx").cast(pl.Int64) * DAY_MS
    rid = pl.col("rid")
    return (
        pl.when(rid == rid.min().over("day_idx"))
        .then(day_start)
        .when(rid == rid.max().over("day_idx"))
        .then(day_start + DAY_MS - 250)
        .otherwise(pl.col("start_ms"))
    )
