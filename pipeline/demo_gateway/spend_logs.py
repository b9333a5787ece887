"""`GET /spend/logs/v2` (LITELLM_API.md §4): inclusive second bounds, capped count, no tie-breaker."""

from __future__ import annotations

import bisect
import json
import threading
import time
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from pipeline.demo_gateway.catalog import KEYS, MODELS, TEAMS_BY_ID, USER_AGENT
from pipeline.demo_gateway.daily import EXTRA, RenderOptions
from pipeline.demo_gateway.errors import ApiError, int_param, openai_error
from pipeline.demo_gateway.spend_render import (
    ERRORS,
    METADATA_NULLS,
    MIN_METADATA_KEYS,
    RenderedRows,
    render_rows,
)

SORT_COLUMNS = {
    "startTime": "start_ms",
    "endTime": "end_time",
    "spend": "spend",
    "total_tokens": "total_tokens",
    "request_duration_ms": "request_duration_ms",
    "model": "model",
    "ttft_ms": "ttft_ms",
}


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


RENDER_CHUNK_ROWS = 32_768


class SpendLogStore:
    """Per-request rows sorted by ``startTime``, rendered as LiteLLM's ``LiteLLM_SpendLogs`` JSON.

    Rows are rendered vectorised (``spend_render``): per page on demand, or all at once by ``prerender`` into
    one contiguous buffer so a page is a join of byte slices.
    """

    def __init__(self, spend_logs: pl.DataFrame, count_cap: int) -> None:
        if not spend_logs["start_ms"].is_sorted():
            spend_logs = spend_logs.sort("start_ms", maintain_order=True)
        self._frame = spend_logs.with_row_index("row").with_columns(
            ttft_ms=pl.when(pl.col("failed"))
            .then(None)
            .otherwise(pl.col("completion_start_time") - pl.col("start_time"))
        )
        self._count_cap = count_cap
        self._rendered: RenderedRows | None = None
        self._start_at = array("q")
        self._tie_pairs = array("q")
        self._render_lock = threading.Lock()

    def prerender(self) -> None:
        """Render every row once (benchmark mode); ``row`` indexes the result."""
        with self._render_lock:
            if self._rendered is not None:
                return
            starts = self._frame["start_ms"]
            self._start_at = array("q", starts.to_list())
            tied = (starts.head(-1) == starts.tail(-1)).arg_true() if len(starts) > 1 else pl.Series([])
            self._tie_pairs = array("q", tied.to_list())
            self._rendered = RenderedRows(self._frame, RENDER_CHUNK_ROWS)

    def respond_parts(
        self, q: SpendLogQuery, options: RenderOptions, request_seq: int, cache: bool
    ) -> list[bytes | memoryview]:
        """The response body as buffers to send in order (their concatenation is ``respond``)."""
        if cache and not q.filters and q.sort_column == "start_ms" and options == RenderOptions():
            self.prerender()
            return self._prerendered_by_start(q, request_seq)
        return [self.respond(q, options, request_seq, cache)]

    def _prerendered_by_start(self, q: SpendLogQuery, seed: int) -> list[bytes | memoryview]:
        """``respond`` for an unfiltered ``startTime`` page from the prerendered rows, mostly without polars.

        Same rows as ``page_rows`` (an equal-time group cut by a page edge is split by the same per-request
        hash); equal-time rows inside the page come in another per-request order (LiteLLM has no tie-breaker),
        runs of distinct times ascending as zero-copy slices of the rendered buffer.
        """
        rendered = self._rendered
        assert rendered is not None
        starts = self._start_at
        w_lo = bisect.bisect_left(starts, q.start_ms)
        n = max(bisect.bisect_right(starts, q.end_ms) - w_lo, 0)
        offset, size = (q.page - 1) * q.page_size, q.page_size
        lo, hi = (n - offset - size, n - offset) if q.descending else (offset, offset + size)
        a, b = w_lo + max(lo, 0), w_lo + min(hi, n)
        parts: list[bytes | memoryview] = [b'{"data":[']
        if a < b:
            pieces = self._page_pieces(a, b, w_lo, w_lo + n, q.descending, seed)
            parts.append(pieces[0])
            for piece in pieces[1:]:
                parts += (b",", piece)
        total = min(n, self._count_cap)
        tail = {
            "total": total,
            "page": q.page,
            "page_size": q.page_size,
            "total_pages": (total + q.page_size - 1) // q.page_size,
            "total_is_capped": n > self._count_cap,
        }
        parts.append(b"]," + json.dumps(tail, separators=(",", ":")).encode()[1:])
        return parts

    def _page_pieces(self, a: int, b: int, w_lo: int, w_hi: int, desc: bool, seed: int) -> list[memoryview]:
        """Rendered rows ``a .. b`` of window ``w_lo .. w_hi`` (row order), the rows ``page_rows`` picks."""
        rendered = self._rendered
        assert rendered is not None
        starts, ties = self._start_at, self._tie_pairs
        block_lo = bisect.bisect_left(starts, starts[a], w_lo, a)
        block_hi = bisect.bisect_right(starts, starts[b - 1], b - 1, w_hi)
        groups: list[tuple[int, int]] = []
        for i in ties[bisect.bisect_left(ties, block_lo) : bisect.bisect_left(ties, block_hi - 1)]:
            if groups and groups[-1][1] == i + 1:
                groups[-1] = (groups[-1][0], i + 2)
            else:
                groups.append((i, i + 2))
        edge = [(g0, g1) for g0, g1 in groups if g0 < a or g1 > b]
        edge_hashes = iter(_row_hashes([r for g0, g1 in edge for r in range(g0, g1)], seed))
        members: list[list[int]] = []
        for g0, g1 in groups:
            if g0 < a or g1 > b:
                by_hash = sorted(zip((next(edge_hashes) for _ in range(g1 - g0)), range(g0, g1), strict=True))
                if desc:
                    chosen = by_hash[g1 - min(b, g1) : g1 - max(a, g0)]
                else:
                    chosen = by_hash[max(a, g0) - g0 : min(b, g1) - g0]
                members.append([r for _, r in chosen])
            else:
                members.append(sorted(range(g0, g1), key=lambda r: hash((seed, r))))
        pieces: list[memoryview] = []
        if desc:
            cur = b
            for (g0, g1), chosen in zip(reversed(groups), reversed(members), strict=True):
                pieces += [rendered.row(r) for r in range(cur - 1, min(b, g1) - 1, -1)]
                pieces += [rendered.row(r) for r in chosen]
                cur = max(a, g0)
            pieces += [rendered.row(r) for r in range(cur - 1, a - 1, -1)]
            return pieces
        cur = a
        for (g0, g1), chosen in zip(groups, members, strict=True):
            if cur < max(a, g0):
                pieces += rendered.span(cur, max(a, g0))
            pieces += [rendered.row(r) for r in chosen]
            cur = min(b, g1)
        if cur < b:
            pieces += rendered.span(cur, b)
        return pieces

    def respond(self, q: SpendLogQuery, options: RenderOptions, request_seq: int, cache: bool) -> bytes:
        starts = self._frame["start_ms"]
        lo = starts.search_sorted(q.start_ms, side="left")
        hi = starts.search_sorted(q.end_ms, side="right")
        window = self._frame.slice(lo, max(hi - lo, 0))
        if q.filters:
            window = window.filter(*q.filters)
        raw_total = window.height
        capped = raw_total > self._count_cap
        total = self._count_cap if capped else raw_total
        page = page_rows(
            window, q.sort_column, q.descending, (q.page - 1) * q.page_size, q.page_size, request_seq
        )
        if cache and options == RenderOptions():
            self.prerender()
            assert self._rendered is not None
            rows = self._rendered.join(page["row"])
        else:
            rows = b",".join(render_rows(page, options).cast(pl.Binary).to_list())
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
        return b"".join((b'{"data":[', rows, b"],", json.dumps(tail, separators=(",", ":")).encode()[1:]))


def _row_hashes(rows: list[int], seed: int) -> list[int]:
    """``pl.col("row").hash(seed)`` of ``rows``, as ``page_rows`` orders ties."""
    if not rows:
        return []
    return pl.Series("row", rows, dtype=pl.UInt32).hash(seed=seed).to_list()


def _sorted(frame: pl.DataFrame, column: str, descending: bool, seed: int) -> pl.DataFrame:
    """Sorted on ``column`` with ties in a per-request hash order (LiteLLM has no tie-breaker)."""
    return frame.with_columns(tie=pl.col("row").hash(seed=seed)).sort(
        [column, "tie"], descending=[descending, False], nulls_last=True
    )


def page_rows(
    window: pl.DataFrame, column: str, descending: bool, offset: int, size: int, seed: int
) -> pl.DataFrame:
    """Rows ``offset .. offset + size`` of ``window`` (ascending on start_ms) sorted like ``_sorted``.

    On ``start_ms`` only the equal-time groups the page touches are sorted, not the whole window.
    """
    if column != "start_ms":
        return _sorted(window, column, descending, seed).slice(offset, size)
    n = window.height
    lo, hi = (n - offset - size, n - offset) if descending else (offset, offset + size)
    lo, hi = max(lo, 0), min(hi, n)
    if lo >= hi:
        return window.clear()
    starts = window["start_ms"]
    block_lo = starts.search_sorted(starts[lo], side="left")
    block_hi = starts.search_sorted(starts[hi - 1], side="right")
    block = _sorted(window.slice(block_lo, block_hi - block_lo), column, descending, seed)
    return block.slice(block_hi - hi if descending else lo - block_lo, hi - lo)


def render_row(r: dict[str, Any], options: RenderOptions = RenderOptions()) -> dict[str, Any]:  # noqa: B008
    """One spend-log row with the key order of the 1.110.2 sample."""
    key = KEYS[r["key_idx"]]
    model = MODELS[r["model_idx"]]
    team = TEAMS_BY_ID.get(key.team_id)
    failed = r["failed"]
    cr, cc = r["cache_read_input_tokens"], r["cache_creation_input_tokens"]
    if failed:
        usage: dict[str, Any] = {}
        code, cls, msg = ERRORS[r["request_duration_ms"] % len(ERRORS)]
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


__all__ = ["ApiError", "SpendLogQuery", "SpendLogStore", "page_rows", "parse_query", "render_row"]
