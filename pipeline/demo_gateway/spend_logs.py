"""`GET /spend/logs/v2` (LITELLM_API.md §4): inclusive second bounds, capped count, no tie-breaker."""

from __future__ import annotations

import bisect
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from pipeline.demo_gateway.catalog import KEYS, MODELS, TEAMS_BY_ID, USER_AGENT
from pipeline.demo_gateway.daily import EXTRA, RenderOptions
from pipeline.demo_gateway.errors import ApiError, int_param, openai_error

SORT_COLUMNS = {
    "startTime": "start_ms",
    "endTime": "end_time",
    "spend": "spend",
    "total_tokens": "total_tokens",
    "request_duration_ms": "request_duration_ms",
    "model": "model",
    "ttft_ms": "ttft_ms",
}
METADATA_NULLS = (
    "actor_agent_id",
    "target_agent_id",
    "billing_agent_id",
    "agent_execution_mode",
    "verified_human_user_id",
    "autorouter_baseline_observation",
)
_ERRORS = (
    ("429", "RateLimitError", "litellm.RateLimitError: DemoProviderException - synthetic rate limit"),
    ("500", "InternalServerError", "litellm.InternalServerError: DemoProviderException - synthetic outage"),
    ("400", "BadRequestError", "litellm.BadRequestError: DemoProviderException - synthetic bad request"),
)
MIN_METADATA_KEYS = (
    "user_api_key",
    "user_api_key_alias",
    "user_api_key_team_id",
    "status",
    "error_information",
)


def _iso(ms: int) -> str:
    t = time.gmtime(ms // 1000)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
        f".{ms % 1000:03d}+00:00"
    )


def _parse_v2_date(value: str) -> int:
    """Epoch ms of a v2 date (``YYYY-MM-DD HH:MM:SS`` or ``YYYY-MM-DD``, UTC)."""
    value = value.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return int(datetime.strptime(value, fmt).replace(tzinfo=UTC).timestamp()) * 1000
        except ValueError:
            continue
    raise openai_error(
        400, f"Invalid date format: {value}. Expected: 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS'", "bad_request"
    )


@dataclass(frozen=True, slots=True)
class SpendLogQuery:
    start_ms: int
    end_ms: int
    page: int
    page_size: int
    sort_column: str
    descending: bool
    filters: tuple[pl.Expr, ...]


def parse_query(params: Mapping[str, str]) -> SpendLogQuery:
    """Validate like LiteLLM 1.110.2: sort params (400 a), dates (400 a), page/page_size (422 b)."""
    p = dict(params)
    page = int_param(p, "page", 1, ge=1)
    page_size = int_param(p, "page_size", 50, ge=1, le=1000)
    sort_by = p.get("sort_by", "startTime")
    sort_order = p.get("sort_order", "desc")
    if sort_by not in SORT_COLUMNS:
        raise openai_error(
            400,
            f"Invalid sort_by: {sort_by}. Must be one of: {', '.join(sorted(SORT_COLUMNS))}",
            "bad_request",
            "sort_by",
        )
    if sort_order.lower() not in ("asc", "desc"):
        raise openai_error(
            400, f"Invalid sort_order: {sort_order}. Must be one of: asc, desc", "bad_request", "sort_order"
        )
    cache_hit_filter = p.get("cache_hit_filter")
    if cache_hit_filter is not None and cache_hit_filter not in ("hit", "miss"):
        raise openai_error(
            400,
            f"Invalid cache_hit_filter: {cache_hit_filter}. Must be one of: hit, miss",
            "bad_request",
            "cache_hit_filter",
        )
    start, end = p.get("start_date"), p.get("end_date")
    if start is None or end is None:
        raise openai_error(400, "Start date and end date are required", "bad_request")
    filters: list[pl.Expr] = []
    for param, column in (
        ("team_id", "team_id"),
        ("api_key", "api_key"),
        ("user_id", "user"),
        ("model", "model"),
        ("model_id", "model_id"),
        ("model_group", "model_group"),
        ("key_alias", "key_alias"),
    ):
        if p.get(param) is not None:
            filters.append(pl.col(column) == p[param])
    if p.get("end_user") is not None:
        filters.append(pl.lit(p["end_user"] == ""))
    if p.get("request_id") is not None:
        filters.append(
            (pl.col("request_id") == p["request_id"]) | (pl.col("litellm_call_id") == p["request_id"])
        )
    status = p.get("status_filter")
    if status == "success":
        filters.append((pl.col("status") == "success") | pl.col("status").is_null())
    elif status is not None:
        filters.append(pl.col("status") == status)
    if cache_hit_filter is not None:
        filters.append(pl.col("cache_hit") == (cache_hit_filter == "hit"))
    for param, op in (("min_spend", "ge"), ("max_spend", "le")):
        if p.get(param) is not None:
            try:
                bound = float(p[param])
            except ValueError:
                raise openai_error(400, f"Invalid {param}: {p[param]}", "bad_request", param) from None
            filters.append(pl.col("spend") >= bound if op == "ge" else pl.col("spend") <= bound)
    return SpendLogQuery(
        start_ms=_parse_v2_date(start),
        end_ms=_parse_v2_date(end),
        page=page,
        page_size=page_size,
        sort_column=SORT_COLUMNS[sort_by],
        descending=sort_order.lower() == "desc",
        filters=tuple(filters),
    )


class SpendLogStore:
    """Per-request rows sorted by ``startTime``, rendered as LiteLLM's ``LiteLLM_SpendLogs`` JSON."""

    def __init__(self, spend_logs: pl.DataFrame, count_cap: int) -> None:
        self._frame = spend_logs.with_row_index("row").with_columns(
            ttft_ms=pl.when(pl.col("failed"))
            .then(None)
            .otherwise(pl.col("completion_start_time") - pl.col("start_time"))
        )
        self._start_ms: list[int] = self._frame["start_ms"].to_list()
        self._count_cap = count_cap
        self._cache: dict[int, bytes] = {}
        self._cache_lock = threading.Lock()

    def prerender(self) -> None:
        """Render every row once (benchmark mode)."""
        for lo in range(0, self._frame.height, 5000):
            self._rendered(self._frame.slice(lo, 5000), RenderOptions(), cache=True)

    def respond(self, q: SpendLogQuery, options: RenderOptions, request_seq: int, cache: bool) -> bytes:
        lo = bisect.bisect_left(self._start_ms, q.start_ms)
        hi = bisect.bisect_right(self._start_ms, q.end_ms)
        window = self._frame.slice(lo, max(hi - lo, 0))
        if q.filters:
            window = window.filter(*q.filters)
        raw_total = window.height
        capped = raw_total > self._count_cap
        total = self._count_cap if capped else raw_total
        offset = (q.page - 1) * q.page_size
        page = (
            window.with_columns(tie=pl.col("row").hash(seed=request_seq))
            .sort([q.sort_column, "tie"], descending=[q.descending, False], nulls_last=True)
            .slice(offset, q.page_size)
        )
        rows = self._rendered(page, options, cache=cache)
        tail: dict[str, Any] = {
            "total": total,
            "page": q.page,
            "page_size": q.page_size,
            "total_pages": (total + q.page_size - 1) // q.page_size,
            "total_is_capped": capped,
        }
        if options.omit_optional_fields:
            del tail["total_is_capped"]
        if options.extra_unknown_fields:
            tail.update(EXTRA)
        return b'{"data":[' + b",".join(rows) + b"]," + json.dumps(tail, separators=(",", ":")).encode()[1:]

    def _rendered(self, page: pl.DataFrame, options: RenderOptions, cache: bool) -> list[bytes]:
        plain = options == RenderOptions()
        out: list[bytes] = []
        for row in page.iter_rows(named=True):
            idx = row["row"]
            if cache and plain:
                with self._cache_lock:
                    hit = self._cache.get(idx)
                if hit is None:
                    hit = json.dumps(render_row(row), separators=(",", ":")).encode()
                    with self._cache_lock:
                        self._cache[idx] = hit
                out.append(hit)
            else:
                out.append(json.dumps(render_row(row, options), separators=(",", ":")).encode())
        return out


def render_row(r: dict[str, Any], options: RenderOptions = RenderOptions()) -> dict[str, Any]:  # noqa: B008
    """One spend-log row with the key order of the 1.110.2 sample."""
    key = KEYS[r["key_idx"]]
    model = MODELS[r["model_idx"]]
    team = TEAMS_BY_ID.get(key.team_id)
    failed = r["failed"]
    cr, cc = r["cache_read_input_tokens"], r["cache_creation_input_tokens"]
    if failed:
        usage: dict[str, Any] = {}
        code, cls, msg = _ERRORS[r["request_duration_ms"] % len(_ERRORS)]
        error: dict[str, Any] | None = {
            "error_code": code,
            "error_class": cls,
            "llm_provider": model.provider,
            "traceback": "",
            "error_message": msg,
        }
        cost: dict[str, Any] | None = None
    else:
        usage = {
            "prompt_tokens_details": {"cached_tokens": cr, "audio_tokens": None},
            "completion_tokens_details": {"reasoning_tokens": 0},
            "cache_read_input_tokens": cr,
        }
        if cc:
            usage["cache_creation_input_tokens"] = cc
        error = None
        cost = {
            "input_cost": (r["prompt_tokens"] - cr - cc) * model.input_cost,
            "cache_read_cost": cr * model.cache_read_cost,
            "output_cost": r["completion_tokens"] * model.output_cost,
            "total_cost": r["spend"],
            "tool_usage_cost": model.flat_spend,
        }
        if cc:
            cost["cache_creation_cost"] = cc * model.cache_creation_cost
    metadata: dict[str, Any] = dict.fromkeys(METADATA_NULLS)
    metadata.update(
        additional_usage_values=usage,
        user_api_key=key.token,
        user_api_key_alias=key.key_alias,
        user_api_key_team_id=key.team_id or None,
        user_api_key_project_id=None,
        user_api_key_project_alias=None,
        user_api_key_org_id=None,
        user_api_key_user_id=key.user_id,
        user_api_key_user_email=key.user_id,
        user_api_key_team_alias=team.team_alias if team else None,
        spend_logs_metadata=None,
        requester_ip_address="",
        user_agent=USER_AGENT,
        litellm_call_id=r["litellm_call_id"],
        applied_guardrails=[],
        mcp_tool_call_metadata={"name": model.mcp_tool, "server_name": "demo_jira"}
        if model.mcp_tool
        else None,
        vector_store_request_metadata=None,
        routing_decision=None,
        kubernetes_pod_routing=None,
        internal_call_origin=None,
        billed_retry_attempt=False,
        upstream_provider=None,
        litellm_roi_estimator=False,
        is_silent_experiment=False,
        guardrail_information=None,
        eval_information=None,
        status=r["status"],
        proxy_server_request=None,
        batch_models=None,
        batch_successful_requests=None,
        batch_failed_requests=None,
        error_information=error,
        usage_object=None,
        model_map_information=None,
        cold_storage_object_key=None,
        litellm_overhead_time_ms=None if failed else 5.0 + r["request_duration_ms"] % 17,
        attempted_retries=0,
        max_retries=2,
        attempted_fallbacks=0,
        original_model_group=model.model_group or None,
        cost_breakdown=cost,
        compression_savings=None,
        autorouter_savings=None,
        autorouter_savings_estimate=None,
        litellm_gateway_injected_cache=None,
        router_metadata=None,
        azure_spillover=None,
        used_client_oauth_token=None,
    )
    if r["tags_as_string"]:
        tags: str | list[str] = json.dumps(list(key.tags))
    else:
        tags = [*key.tags, f"User-Agent: {USER_AGENT}"]
    if options.omit_optional_fields:
        metadata = {k: metadata[k] for k in MIN_METADATA_KEYS}
    if options.extra_unknown_fields:
        metadata.update(EXTRA)
    out: dict[str, Any] = {
        "request_id": r["request_id"],
        "call_type": model.call_type,
        "api_key": key.token,
        "spend": r["spend"],
        "total_tokens": r["total_tokens"],
        "prompt_tokens": r["prompt_tokens"],
        "completion_tokens": r["completion_tokens"],
        "startTime": _iso(r["start_ms"]),
        "endTime": _iso(r["start_ms"] + r["request_duration_ms"]),
        "completionStartTime": _iso(
            r["start_ms"] + (r["request_duration_ms"] if failed else round(r["request_duration_ms"] * 0.3))
        ),
        "model": model.model,
        "model_id": model.model_id or None,
        "model_group": model.model_group,
        "custom_llm_provider": model.provider,
        "api_base": model.api_base,
        "user": key.user_id,
        "metadata": metadata,
        "cache_hit": "True" if r["cache_hit"] else "False",
        "cache_key": f"demo-cache-{r['request_id'][-12:]}" if r["cache_hit"] else "Cache OFF",
        "request_tags": tags,
        "team_id": key.team_id,
        "organization_id": "",
        "end_user": "",
        "requester_ip_address": "",
        "session_id": r["litellm_call_id"],
        "status": r["status"],
        "mcp_namespaced_tool_name": r["mcp_namespaced_tool_name"],
        "agent_id": None,
        "litellm_call_id": r["litellm_call_id"],
        "request_duration_ms": r["request_duration_ms"],
    }
    if options.omit_optional_fields:
        del out["litellm_call_id"]
    if options.extra_unknown_fields:
        out.update(EXTRA)
    return out


__all__ = ["ApiError", "SpendLogQuery", "SpendLogStore", "parse_query", "render_row"]
