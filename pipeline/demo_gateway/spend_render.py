"""Vectorised ``/spend/logs/v2`` row rendering: one JSON text per row, built in polars (no per-row Python).

The output is value- and key-order-identical to ``spend_logs.render_row`` (the readable reference); floats use
polars' shortest round-trip formatting (``0.00001`` where Python prints ``1e-05``).
"""

from __future__ import annotations

import functools
import json
import struct
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl
import pyarrow as pa

from pipeline.demo_gateway.catalog import KEYS, MODELS, TEAMS_BY_ID, USER_AGENT, Key, Model
from pipeline.demo_gateway.daily import EXTRA, RenderOptions


@dataclass(frozen=True, slots=True)
class Table:
    """JSON text chosen per row by a small index column; literal neighbours are folded into its entries."""

    column: str
    texts: tuple[str, ...]

    def expr(self) -> pl.Expr:
        index = _INDEXES.get(self.column, pl.col(self.column))
        return pl.lit(pl.Series(self.texts, dtype=pl.String)).gather(index)


Part = str | pl.Expr | Table
"""A piece of JSON text: a literal, an expression yielding JSON text per row, or a lookup table."""
Fields = list[tuple[str, Part | list[Part]]]

METADATA_NULLS = (
    "actor_agent_id",
    "target_agent_id",
    "billing_agent_id",
    "agent_execution_mode",
    "verified_human_user_id",
    "autorouter_baseline_observation",
)
ERRORS = (
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
ISO_FORMAT = "%Y-%m-%dT%H:%M:%S%.3f+00:00"
STRING_COLUMNS = ("request_id", "litellm_call_id", "status", "mcp_namespaced_tool_name")
_JSON_SUFFIX = "__json"
_NEEDS_ESCAPE = r'["\\\x00-\x1f]'
_INDEXES = {"error_kind": pl.col("request_duration_ms") % len(ERRORS)}


def _lit(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _by_key(fn: Callable[[Key], Any]) -> Table:
    return Table("key_idx", tuple(_lit(fn(k)) for k in KEYS))


def _by_model(fn: Callable[[Model], Any]) -> Table:
    return Table("model_idx", tuple(_lit(fn(m)) for m in MODELS))


def _model_float(fn: Callable[[Model], float]) -> pl.Expr:
    return pl.lit(pl.Series([fn(m) for m in MODELS], dtype=pl.Float64)).gather(pl.col("model_idx"))


def _num(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).fill_null("null")


def _str(column: str) -> pl.Expr:
    """A string column's JSON text, pre-encoded by ``_encoded_strings``."""
    return pl.col(f"{column}{_JSON_SUFFIX}")


def _encoded_strings(frame: pl.DataFrame) -> list[pl.Expr]:
    """JSON texts of the string columns: plain quoting when nothing needs escaping, else polars' encoder."""
    sources = {c: pl.col(c) for c in STRING_COLUMNS}
    sources["cache_key"] = pl.concat_str(pl.lit("demo-cache-"), pl.col("request_id").str.slice(-12))
    unsafe = frame.select(pl.col(*STRING_COLUMNS).str.contains(_NEEDS_ESCAPE).any()).row(0)
    needs_escape = any(unsafe)
    exprs = []
    for name, expr in sources.items():
        if needs_escape:
            text = (
                pl.struct(expr.alias("v"))
                .struct.json_encode()
                .str.strip_prefix('{"v":')
                .str.strip_suffix("}")
            )
        else:
            text = pl.concat_str(pl.lit('"'), expr, pl.lit('"')).fill_null("null")
        exprs.append(text.alias(f"{name}{_JSON_SUFFIX}"))
    return exprs


def _iso(ms: pl.Expr) -> pl.Expr:
    return pl.concat_str(pl.lit('"'), pl.from_epoch(ms, time_unit="ms").dt.strftime(ISO_FORMAT), pl.lit('"'))


def _flatten(value: Part | list[Part], out: list[Part]) -> None:
    if isinstance(value, list):
        out.extend(value)
    else:
        out.append(value)


def _object(fields: Fields) -> list[Part]:
    parts: list[Part] = ["{"]
    for i, (name, value) in enumerate(fields):
        parts.append(("," if i else "") + _lit(name) + ":")
        _flatten(value, parts)
    parts.append("}")
    return parts


def _fold(parts: list[Part]) -> list[Part]:
    """Merge adjacent literals, and literals or same-column tables into their neighbouring table."""
    out: list[Part] = []
    for part in parts:
        prev = out[-1] if out else None
        if isinstance(part, str) and isinstance(prev, str):
            out[-1] = prev + part
        elif isinstance(part, str) and isinstance(prev, Table):
            out[-1] = Table(prev.column, tuple(t + part for t in prev.texts))
        elif isinstance(part, Table) and isinstance(prev, str):
            out[-1] = Table(part.column, tuple(prev + t for t in part.texts))
        elif isinstance(part, Table) and isinstance(prev, Table) and prev.column == part.column:
            out[-1] = Table(part.column, tuple(a + b for a, b in zip(prev.texts, part.texts, strict=True)))
        else:
            out.append(part)
    return out


def _concat(parts: list[Part]) -> pl.Expr:
    """One string expression from parts, folded so polars sees few inputs."""
    exprs = [
        pl.lit(p) if isinstance(p, str) else p.expr() if isinstance(p, Table) else p for p in _fold(parts)
    ]
    return exprs[0] if len(exprs) == 1 else pl.concat_str(exprs)


def _optional(cond: pl.Expr, parts: list[Part]) -> pl.Expr:
    return pl.when(cond).then(_concat(parts)).otherwise(pl.lit(""))


def _usage() -> pl.Expr:
    cr, cc = pl.col("cache_read_input_tokens"), pl.col("cache_creation_input_tokens")
    ok = _concat(
        [
            '{"prompt_tokens_details":{"cached_tokens":',
            _num(cr),
            ',"audio_tokens":null},"completion_tokens_details":{"reasoning_tokens":0},'
            '"cache_read_input_tokens":',
            _num(cr),
            _optional(cc != 0, [',"cache_creation_input_tokens":', _num(cc)]),
            "}",
        ]
    )
    return pl.when(pl.col("failed")).then(pl.lit("{}")).otherwise(ok)


def _error() -> pl.Expr:
    body = _concat(
        [
            '{"error_code":',
            Table("error_kind", tuple(f'{_lit(code)},"error_class":{_lit(cls)}' for code, cls, _ in ERRORS)),
            ',"llm_provider":',
            _by_model(lambda m: m.provider),
            ',"traceback":"","error_message":',
            Table("error_kind", tuple(_lit(msg) for *_, msg in ERRORS)),
            "}",
        ]
    )
    return pl.when(pl.col("failed")).then(body).otherwise(pl.lit("null"))


def _cost() -> pl.Expr:
    cr, cc = pl.col("cache_read_input_tokens"), pl.col("cache_creation_input_tokens")
    body = _concat(
        [
            '{"input_cost":',
            _num((pl.col("prompt_tokens") - cr - cc) * _model_float(lambda m: m.input_cost)),
            ',"cache_read_cost":',
            _num(cr * _model_float(lambda m: m.cache_read_cost)),
            ',"output_cost":',
            _num(pl.col("completion_tokens") * _model_float(lambda m: m.output_cost)),
            ',"total_cost":',
            _num(pl.col("spend")),
            ',"tool_usage_cost":',
            _by_model(lambda m: m.flat_spend),
            _optional(
                cc != 0, [',"cache_creation_cost":', _num(cc * _model_float(lambda m: m.cache_creation_cost))]
            ),
            "}",
        ]
    )
    return pl.when(pl.col("failed")).then(pl.lit("null")).otherwise(body)


def _metadata_fields() -> Fields:
    null = "null"
    team_alias = [(TEAMS_BY_ID[k.team_id].team_alias if k.team_id in TEAMS_BY_ID else None) for k in KEYS]
    fields: Fields = [(name, null) for name in METADATA_NULLS]
    fields += [
        ("additional_usage_values", _usage()),
        ("user_api_key", _by_key(lambda k: k.token)),
        ("user_api_key_alias", _by_key(lambda k: k.key_alias)),
        ("user_api_key_team_id", _by_key(lambda k: k.team_id or None)),
        ("user_api_key_project_id", null),
        ("user_api_key_project_alias", null),
        ("user_api_key_org_id", null),
        ("user_api_key_user_id", _by_key(lambda k: k.user_id)),
        ("user_api_key_user_email", _by_key(lambda k: k.user_id)),
        ("user_api_key_team_alias", Table("key_idx", tuple(_lit(a) for a in team_alias))),
        ("spend_logs_metadata", null),
        ("requester_ip_address", '""'),
        ("user_agent", _lit(USER_AGENT)),
        ("litellm_call_id", _str("litellm_call_id")),
        ("applied_guardrails", "[]"),
        (
            "mcp_tool_call_metadata",
            _by_model(lambda m: {"name": m.mcp_tool, "server_name": "demo_jira"} if m.mcp_tool else None),
        ),
    ]
    fields += [
        (name, null)
        for name in ("vector_store_request_metadata", "routing_decision", "kubernetes_pod_routing")
    ]
    fields += [
        ("internal_call_origin", null),
        ("billed_retry_attempt", "false"),
        ("upstream_provider", null),
        ("litellm_roi_estimator", "false"),
        ("is_silent_experiment", "false"),
        ("guardrail_information", null),
        ("eval_information", null),
        ("status", _str("status")),
        ("proxy_server_request", null),
        ("batch_models", null),
        ("batch_successful_requests", null),
        ("batch_failed_requests", null),
        ("error_information", _error()),
        ("usage_object", null),
        ("model_map_information", null),
        ("cold_storage_object_key", null),
        (
            "litellm_overhead_time_ms",
            pl.when(pl.col("failed"))
            .then(pl.lit("null"))
            .otherwise(_num(5.0 + (pl.col("request_duration_ms") % 17).cast(pl.Float64))),
        ),
        ("attempted_retries", "0"),
        ("max_retries", "2"),
        ("attempted_fallbacks", "0"),
        ("original_model_group", _by_model(lambda m: m.model_group or None)),
        ("cost_breakdown", _cost()),
    ]
    fields += [
        (name, null)
        for name in (
            "compression_savings",
            "autorouter_savings",
            "autorouter_savings_estimate",
            "litellm_gateway_injected_cache",
            "router_metadata",
            "azure_spillover",
            "used_client_oauth_token",
        )
    ]
    return fields


def _extra_fields() -> Fields:
    return [(name, _lit(value)) for name, value in EXTRA.items()]


@functools.lru_cache(maxsize=8)
def _row_expr(options: RenderOptions) -> pl.Expr:
    """Expression yielding each spend-log row's JSON text (key order of the 1.110.2 sample)."""
    metadata = _metadata_fields()
    if options.omit_optional_fields:
        by_name = dict(metadata)
        metadata = [(name, by_name[name]) for name in MIN_METADATA_KEYS]
    if options.extra_unknown_fields:
        metadata += _extra_fields()
    start, duration, failed = pl.col("start_ms"), pl.col("request_duration_ms"), pl.col("failed")
    completion_start = start + pl.when(failed).then(duration).otherwise(
        (duration * 0.3).round().cast(pl.Int64)
    )
    tags = (
        pl.when(pl.col("tags_as_string"))
        .then(_by_key(lambda k: json.dumps(list(k.tags))).expr())
        .otherwise(_by_key(lambda k: [*k.tags, f"User-Agent: {USER_AGENT}"]).expr())
    )
    cache_key = pl.when(pl.col("cache_hit")).then(_str("cache_key")).otherwise(pl.lit(_lit("Cache OFF")))
    fields: Fields = [
        ("request_id", _str("request_id")),
        ("call_type", _by_model(lambda m: m.call_type)),
        ("api_key", _by_key(lambda k: k.token)),
        ("spend", _num(pl.col("spend"))),
        ("total_tokens", _num(pl.col("total_tokens"))),
        ("prompt_tokens", _num(pl.col("prompt_tokens"))),
        ("completion_tokens", _num(pl.col("completion_tokens"))),
        ("startTime", _iso(start)),
        ("endTime", _iso(start + duration)),
        ("completionStartTime", _iso(completion_start)),
        ("model", _by_model(lambda m: m.model)),
        ("model_id", _by_model(lambda m: m.model_id or None)),
        ("model_group", _by_model(lambda m: m.model_group)),
        ("custom_llm_provider", _by_model(lambda m: m.provider)),
        ("api_base", _by_model(lambda m: m.api_base)),
        ("user", _by_key(lambda k: k.user_id)),
        ("metadata", _object(metadata)),
        ("cache_hit", pl.when(pl.col("cache_hit")).then(pl.lit('"True"')).otherwise(pl.lit('"False"'))),
        ("cache_key", cache_key),
        ("request_tags", tags),
        ("team_id", _by_key(lambda k: k.team_id)),
        ("organization_id", '""'),
        ("end_user", '""'),
        ("requester_ip_address", '""'),
        ("session_id", _str("litellm_call_id")),
        ("status", _str("status")),
        ("mcp_namespaced_tool_name", _str("mcp_namespaced_tool_name")),
        ("agent_id", "null"),
        ("litellm_call_id", _str("litellm_call_id")),
        ("request_duration_ms", _num(duration)),
    ]
    if options.omit_optional_fields:
        fields = [f for f in fields if f[0] != "litellm_call_id"]
    if options.extra_unknown_fields:
        fields += _extra_fields()
    return _concat(_object(fields)).alias("json")


def render_rows(frame: pl.DataFrame, options: RenderOptions = RenderOptions()) -> pl.Series:  # noqa: B008
    """One JSON text per row of ``frame`` (a ``Dataset.spend_logs``-shaped frame), in row order."""
    return frame.with_columns(_encoded_strings(frame)).select(_row_expr(options)).to_series()


class RenderedRows:
    """Every row's JSON text in a few large comma-separated byte blocks with offsets.

    A page is a join of per-row slices, or (rows contiguous in the buffer) a few zero-copy slices.
    """

    def __init__(self, frame: pl.DataFrame, chunk_rows: int = 32_768) -> None:
        self._chunk_rows = chunk_rows
        self._blocks: list[memoryview] = []
        offsets: list[pl.Series] = []
        self._nbytes = 0
        for lo in range(0, frame.height, chunk_rows):
            texts = render_rows(frame.slice(lo, chunk_rows))
            lengths = texts.str.len_bytes().cast(pl.Int64)
            arrow = texts.str.join(",").to_arrow().cast(pa.large_string())
            (first, last) = struct.unpack_from("<2q", arrow.buffers()[1], 8 * arrow.offset)
            self._blocks.append(memoryview(bytes(memoryview(arrow.buffers()[2])[first:last])))
            self._nbytes += int(lengths.sum())
            offsets.append(pl.concat([pl.Series([0], dtype=pl.Int64), (lengths + 1).cum_sum()]))
        self._starts = (
            pl.concat([o.head(len(o) - 1) for o in offsets]) if offsets else pl.Series([], dtype=pl.Int64)
        )
        self._ends = (
            self._starts + pl.concat([o.tail(len(o) - 1) - o.head(len(o) - 1) - 1 for o in offsets])
            if offsets
            else pl.Series([], dtype=pl.Int64)
        )
        self._start_at = array("q", self._starts.to_list())
        self._end_at = array("q", self._ends.to_list())

    def __len__(self) -> int:
        return len(self._starts)

    @property
    def nbytes(self) -> int:
        """Bytes of the row texts (separators excluded)."""
        return self._nbytes

    def join(self, rows: pl.Series) -> bytes:
        """The texts of ``rows`` (row positions) joined by commas."""
        idx = rows.cast(pl.Int64)
        positions = zip(
            (idx // self._chunk_rows).to_list(),
            self._starts.gather(idx).to_list(),
            self._ends.gather(idx).to_list(),
            strict=True,
        )
        blocks = self._blocks
        return b",".join([blocks[c][a:b] for c, a, b in positions])

    def row(self, i: int) -> memoryview:
        """The text of row ``i`` (a zero-copy slice)."""
        return self._blocks[i // self._chunk_rows][self._start_at[i] : self._end_at[i]]

    def span(self, lo: int, hi: int) -> list[memoryview]:
        """Rows ``lo .. hi`` (``lo < hi``) as zero-copy slices whose comma join is the rows' comma join."""
        out = []
        size = self._chunk_rows
        while lo < hi:
            block = lo // size
            last = min(hi, (block + 1) * size) - 1
            out.append(self._blocks[block][self._start_at[lo] : self._end_at[last]])
            lo = last + 1
        return out


__all__ = ["ERRORS", "METADATA_NULLS", "MIN_METADATA_KEYS", "STRING_COLUMNS", "RenderedRows", "render_rows"]
