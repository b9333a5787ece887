"""`GET /team/daily/activity`: raw daily rows paged and aggregated exactly as LiteLLM 1.110.2 does (§3.3)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from pipeline.demo_gateway.errors import detail_error, int_param
from pipeline.demo_gateway.synth import DAILY_KEY_COLUMNS, METRIC_COLUMNS

METRIC_FIELDS = (
    "spend",
    "flat_cost",
    "ptu_hours",
    "prompt_tokens",
    "completion_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "compression_saved_tokens",
    "compression_savings_spend",
    "prompt_caching_savings_spend",
    "gateway_injected_caching_savings_spend",
    "autorouter_savings_spend",
    "total_tokens",
    "successful_requests",
    "failed_requests",
    "api_requests",
    "total_response_time_ms",
    "timed_requests",
)
MIN_METRIC_FIELDS = frozenset(
    {
        "spend",
        "prompt_tokens",
        "completion_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
        "total_tokens",
        "successful_requests",
        "failed_requests",
        "api_requests",
    }
)
_ZERO = (0.0, 0.0, 0.0, 0, 0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0, 0, 0, 0, 0, 0)
TOTAL_FIELDS = (
    ("total_spend", 0),
    ("total_flat_cost", 1),
    ("total_ptu_hours", 2),
    ("total_prompt_tokens", 3),
    ("total_completion_tokens", 4),
    ("total_tokens", 12),
    ("total_api_requests", 15),
    ("total_successful_requests", 13),
    ("total_failed_requests", 14),
    ("total_cache_read_input_tokens", 5),
    ("total_cache_creation_input_tokens", 6),
    ("total_compression_saved_tokens", 7),
    ("total_compression_savings_spend", 8),
    ("total_prompt_caching_savings_spend", 9),
    ("total_gateway_injected_caching_savings_spend", 10),
    ("total_autorouter_savings_spend", 11),
    ("total_response_time_ms", 16),
    ("total_timed_requests", 17),
)
MIN_TOTAL_FIELDS = frozenset(
    {
        "total_spend",
        "total_prompt_tokens",
        "total_completion_tokens",
        "total_tokens",
        "total_api_requests",
        "total_successful_requests",
        "total_failed_requests",
        "total_cache_read_input_tokens",
        "total_cache_creation_input_tokens",
    }
)
BREAKDOWN_FIELDS = (
    "mcp_servers",
    "models",
    "model_groups",
    "providers",
    "endpoints",
    "api_keys",
    "entities",
    "guardrails",
)
MIN_BREAKDOWN_FIELDS = frozenset({"models", "providers", "api_keys", "entities"})
UNKNOWN_MODEL = "unknown-model"
UNKNOWN_MODEL_GROUP = "unknown-model-group"
UNATTRIBUTED = "unattributed"
RAW_PREFIX = "raw:"
UNASSIGNED = "Unassigned"
UNATTRIBUTED_KEY_METADATA: dict[str, Any] = {
    "key_alias": "Unattributed",
    "team_id": None,
    "user_id": None,
    "user_email": None,
    "key_exists": False,
}
EXTRA = {"x_demo_unknown_field": {"note": "unknown field added by fault injection"}}

Metrics = list[Any]
Row = dict[str, Any]


def _update(m: Metrics, row: Row) -> None:
    """LiteLLM's ``update_metrics``: add one DB row, in row order (floats accumulate by addition)."""
    m[0] += row["spend"]
    m[3] += row["prompt_tokens"]
    m[4] += row["completion_tokens"]
    m[5] += row["cache_read_input_tokens"]
    m[6] += row["cache_creation_input_tokens"]
    m[12] += row["prompt_tokens"] + row["completion_tokens"]
    m[13] += row["successful_requests"]
    m[14] += row["failed_requests"]
    m[15] += row["api_requests"]
    m[16] += row["total_response_time_ms"]
    m[17] += row["timed_requests"]


def api_key_bucket(api_key: str) -> str:
    if not api_key:
        return UNATTRIBUTED
    if api_key == UNATTRIBUTED or api_key.startswith(RAW_PREFIX):
        return RAW_PREFIX + api_key
    return api_key


def api_key_from_filter(value: str) -> str:
    if value == UNATTRIBUTED:
        return ""
    if value.startswith(RAW_PREFIX):
        return value[len(RAW_PREFIX) :]
    return value


@dataclass(frozen=True, slots=True)
class RenderOptions:
    omit_optional_fields: bool = False
    extra_unknown_fields: bool = False


@dataclass(frozen=True, slots=True)
class DailyQuery:
    start_date: str
    end_date: str
    page: int
    page_size: int
    team_ids: tuple[str, ...] | None
    exclude_team_ids: tuple[str, ...]
    model: str | None
    api_keys: tuple[str, ...] | None

    def matches(self, row: Row) -> bool:
        if not (self.start_date <= row["date"] <= self.end_date):
            return False
        if self.team_ids is not None and row["team_id"] not in self.team_ids:
            return False
        if self.exclude_team_ids and row["team_id"] in self.exclude_team_ids:
            return False
        if self.model is not None:
            if self.model == UNKNOWN_MODEL:
                if row["model"] not in ("", UNKNOWN_MODEL):
                    return False
            elif row["model"] != self.model:
                return False
        return self.api_keys is None or row["api_key"] in self.api_keys


def _csv(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _canonical_date(value: str) -> bool:
    try:
        return date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def parse_query(params: Mapping[str, str]) -> DailyQuery:
    """Validate parameters in LiteLLM's order with its exact messages (400 shape b)."""
    start, end = params.get("start_date"), params.get("end_date")
    page = int_param(dict(params), "page", 1)
    page_size = int_param(dict(params), "page_size", 10)
    if start is None or end is None:
        raise detail_error(400, {"error": "Please provide start_date and end_date"})
    if not (_canonical_date(start) and _canonical_date(end)):
        raise detail_error(400, {"error": "start_date and end_date must be valid YYYY-MM-DD dates"})
    if end < start:
        raise detail_error(400, {"error": "end_date must be on or after start_date"})
    if page < 1 or page_size < 1:
        raise detail_error(400, f"page and page_size must be >= 1, got page={page}, page_size={page_size}")
    team_ids = _csv(params.get("team_ids"))
    api_key = params.get("api_key")
    return DailyQuery(
        start_date=start,
        end_date=end,
        page=page,
        page_size=page_size,
        team_ids=team_ids or None,
        exclude_team_ids=_csv(params.get("exclude_team_ids")) or (),
        model=params.get("model") or None,
        api_keys=(api_key_from_filter(api_key),) if api_key else None,
    )


class DailyStore:
    """Raw ``LiteLLM_DailyTeamSpend`` rows kept in ``date DESC, id ASC`` order; thread-safe."""

    def __init__(
        self,
        rows: pl.DataFrame,
        key_metadata: Mapping[str, dict[str, Any]],
        team_metadata: Mapping[str, dict[str, Any]],
    ) -> None:
        self._lock = threading.Lock()
        self._rows: list[Row] = rows.sort(["date", "id"], descending=[True, False]).to_dicts()
        self._schema = rows.schema
        self._key_metadata = key_metadata
        self._team_metadata = team_metadata
        self._frame: pl.DataFrame | None = rows
        self.version = 0

    @property
    def frame(self) -> pl.DataFrame:
        """The current rows as a DataFrame (includes rows added by ``grow``)."""
        with self._lock:
            if self._frame is None:
                self._frame = pl.DataFrame(self._rows, schema=self._schema, orient="row").sort(
                    ["date", "id"], descending=[True, False]
                )
            return self._frame

    def append(self, row: Row) -> None:
        """Insert a new raw row (used by the grow-today fault), keeping the sort order."""
        with self._lock:
            self._rows.append(row)
            self._rows.sort(key=lambda r: r["id"])
            self._rows.sort(key=lambda r: r["date"], reverse=True)
            self._frame = None
            self.version += 1

    def page(self, q: DailyQuery) -> tuple[int, list[Row]]:
        """Count matching rows and return the requested LIMIT/OFFSET slice."""
        with self._lock:
            matching = [r for r in self._rows if q.matches(r)]
        offset = (q.page - 1) * q.page_size
        return len(matching), matching[offset : offset + q.page_size]

    def respond(self, q: DailyQuery, options: RenderOptions) -> dict[str, Any]:
        count, rows = self.page(q)
        return render_page(
            rows, count, q.page, q.page_size, self._key_metadata.get, self._team_metadata.get, options
        )


def _key_meta(lookup: Callable[[str], dict[str, Any] | None], api_key: str) -> dict[str, Any]:
    if not api_key:
        return dict(UNATTRIBUTED_KEY_METADATA)
    found = lookup(api_key)
    if found is None:
        return {"key_alias": None, "team_id": None, "user_id": None, "user_email": None, "key_exists": False}
    return dict(found)


def _bucket(
    mapping: dict[str, Any],
    name: str,
    metadata: Callable[[], dict[str, Any]],
    row: Row,
    key: str,
    key_metadata: Callable[[], dict[str, Any]],
) -> None:
    bucket = mapping.get(name)
    if bucket is None:
        bucket = mapping[name] = {"metrics": list(_ZERO), "metadata": metadata(), "api_key_breakdown": {}}
    _update(bucket["metrics"], row)
    keyed = bucket["api_key_breakdown"].get(key)
    if keyed is None:
        keyed = bucket["api_key_breakdown"][key] = {"metrics": list(_ZERO), "metadata": key_metadata()}
    _update(keyed["metrics"], row)


def aggregate(
    rows: Iterable[Row],
    key_lookup: Callable[[str], dict[str, Any] | None],
    team_lookup: Callable[[str], dict[str, Any] | None],
) -> tuple[list[tuple[str, Metrics, dict[str, dict[str, Any]]]], Metrics]:
    """LiteLLM's ``_aggregate_spend_records_sync`` + ``update_breakdown_metrics`` for the team route."""
    grouped: dict[str, tuple[Metrics, dict[str, dict[str, Any]]]] = {}
    totals = list(_ZERO)
    empty: Callable[[], dict[str, Any]] = dict
    for row in rows:
        day = grouped.get(row["date"])
        if day is None:
            day = grouped[row["date"]] = (list(_ZERO), {name: {} for name in BREAKDOWN_FIELDS})
        _update(day[0], row)
        breakdown = day[1]
        key = api_key_bucket(row["api_key"])

        def km(api_key: str = row["api_key"]) -> dict[str, Any]:
            return _key_meta(key_lookup, api_key)

        _bucket(breakdown["models"], row["model"] or UNKNOWN_MODEL, empty, row, key, km)
        group = row["model_group"] or row["model"] or UNKNOWN_MODEL_GROUP
        _bucket(breakdown["model_groups"], group, empty, row, key, km)
        if row["mcp_namespaced_tool_name"]:
            _bucket(breakdown["mcp_servers"], row["mcp_namespaced_tool_name"], empty, row, key, km)
        _bucket(breakdown["providers"], row["custom_llm_provider"] or "unknown", empty, row, key, km)
        if row["endpoint"]:
            _bucket(breakdown["endpoints"], row["endpoint"], empty, row, key, km)
        keyed = breakdown["api_keys"].get(key)
        if keyed is None:
            keyed = breakdown["api_keys"][key] = {"metrics": list(_ZERO), "metadata": km()}
        _update(keyed["metrics"], row)
        entity = row["team_id"] or UNASSIGNED

        def tm(entity: str = entity) -> dict[str, Any]:
            return dict(team_lookup(entity) or {})

        _bucket(breakdown["entities"], entity, tm, row, key, km)
        _update(totals, row)
    results = [(d, m, b) for d, (m, b) in grouped.items()]
    results.sort(key=lambda item: item[0], reverse=True)
    return results, totals


def _metrics(m: Metrics, o: RenderOptions) -> dict[str, Any]:
    out = {
        name: value
        for name, value in zip(METRIC_FIELDS, m, strict=True)
        if not o.omit_optional_fields or name in MIN_METRIC_FIELDS
    }
    if o.extra_unknown_fields:
        out.update(EXTRA)
    return out


def _key_metadata(meta: dict[str, Any], o: RenderOptions) -> dict[str, Any]:
    if o.omit_optional_fields:
        meta = {"key_alias": meta["key_alias"], "team_id": meta["team_id"]}
    if o.extra_unknown_fields:
        meta = {**meta, **EXTRA}
    return meta


def _keyed(entry: dict[str, Any], o: RenderOptions) -> dict[str, Any]:
    return {"metrics": _metrics(entry["metrics"], o), "metadata": _key_metadata(entry["metadata"], o)}


def _with_metadata(entry: dict[str, Any], o: RenderOptions) -> dict[str, Any]:
    out: dict[str, Any] = {"metrics": _metrics(entry["metrics"], o), "metadata": entry["metadata"]}
    if not o.omit_optional_fields:
        out["api_key_breakdown"] = {k: _keyed(v, o) for k, v in entry["api_key_breakdown"].items()}
    if o.extra_unknown_fields:
        out.update(EXTRA)
    return out


def render_page(
    rows: list[Row],
    count: int,
    page: int,
    page_size: int,
    key_lookup: Callable[[str], dict[str, Any] | None],
    team_lookup: Callable[[str], dict[str, Any] | None],
    o: RenderOptions,
) -> dict[str, Any]:
    """The ``SpendAnalyticsPaginatedResponse`` JSON for one page of rows (key order as LiteLLM 1.110.2)."""
    results, totals = aggregate(rows, key_lookup, team_lookup)
    out_results = []
    for day, metrics, breakdown in results:
        out_breakdown: dict[str, Any] = {}
        for name in BREAKDOWN_FIELDS:
            if o.omit_optional_fields and name not in MIN_BREAKDOWN_FIELDS:
                continue
            render = _keyed if name == "api_keys" else _with_metadata
            out_breakdown[name] = {k: render(v, o) for k, v in breakdown[name].items()}
        if o.extra_unknown_fields:
            out_breakdown.update(EXTRA)
        item: dict[str, Any] = {"date": day, "metrics": _metrics(metrics, o), "breakdown": out_breakdown}
        if o.extra_unknown_fields:
            item.update(EXTRA)
        out_results.append(item)
    metadata: dict[str, Any] = {
        name: totals[i] for name, i in TOTAL_FIELDS if not o.omit_optional_fields or name in MIN_TOTAL_FIELDS
    }
    metadata.update(page=page, total_pages=-(-count // page_size), has_more=page * page_size < count)
    if not o.omit_optional_fields:
        metadata.update(api_key_limit=None, total_api_keys=None, entity_total_api_keys=None)
    if o.extra_unknown_fields:
        metadata.update(EXTRA)
    body: dict[str, Any] = {"results": out_results, "metadata": metadata}
    if o.extra_unknown_fields:
        body.update(EXTRA)
    return body


__all__ = ["DAILY_KEY_COLUMNS", "METRIC_COLUMNS", "DailyQuery", "DailyStore", "RenderOptions", "parse_query"]
