"""Cheap parsing of LiteLLM response envelopes and error bodies."""

from __future__ import annotations

import json
import re
from typing import Any

from pipeline.litellm.errors import UpstreamSchemaError


class InvalidBodyError(ValueError):
    """The body is not complete, valid JSON (retryable: usually a truncated response)."""


def error_message(body: bytes, limit: int = 500) -> str:
    """LiteLLM's own error message from either error shape (§7.2), else the start of the body."""
    try:
        data = json.loads(body)
    except ValueError:
        return body[:limit].decode("utf-8", "replace").strip() or "(empty body)"
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict) and err.get("message") is not None:
            return str(err["message"])[:limit]
        if isinstance(err, str):
            return err[:limit]
        if "detail" in data:
            return _detail_message(data["detail"])[:limit]
    return json.dumps(data)[:limit]


def _detail_message(detail: Any) -> str:
    if isinstance(detail, dict):
        if "error" in detail:
            return str(detail["error"])
        return json.dumps(detail)
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc", []) if p != "query")
                parts.append(f"{loc}: {item.get('msg', item)}" if loc else str(item.get("msg", item)))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return str(detail)


def load_json(body: bytes) -> Any:
    """``json.loads`` that reports truncated or invalid bodies as :class:`InvalidBodyError`."""
    try:
        return json.loads(body)
    except ValueError as exc:
        raise InvalidBodyError(f"invalid JSON body ({len(body)} bytes): {exc}") from None


def require_int(endpoint: str, obj: dict[str, Any], key: str, prefix: str = "") -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UpstreamSchemaError(endpoint, prefix + key, "missing or not a number")
    return int(value)


def daily_envelope(endpoint: str, body: bytes) -> tuple[int, int, bool, int]:
    """Validate a daily-activity page's [min] fields; return (page, total_pages, has_more, result_count)."""
    data = load_json(body)
    if not isinstance(data, dict):
        raise UpstreamSchemaError(endpoint, "results", "body is not an object")
    results = data.get("results")
    if not isinstance(results, list):
        raise UpstreamSchemaError(endpoint, "results")
    meta = data.get("metadata")
    if not isinstance(meta, dict):
        raise UpstreamSchemaError(endpoint, "metadata")
    page = require_int(endpoint, meta, "page", "metadata.")
    total_pages = require_int(endpoint, meta, "total_pages", "metadata.")
    has_more = meta.get("has_more")
    if not isinstance(has_more, bool):
        raise UpstreamSchemaError(endpoint, "metadata.has_more")
    for item in results:
        if not isinstance(item, dict):
            raise UpstreamSchemaError(endpoint, "results[]", "item is not an object")
        for key in ("date", "metrics", "breakdown"):
            if key not in item:
                raise UpstreamSchemaError(endpoint, f"results[].{key}")
    return page, total_pages, has_more, len(results)


_TOTAL_KEY = re.compile(rb'"total"\s*:')
_DATA_START = re.compile(rb'^\s*\{\s*"data"\s*:\s*\[')


def spend_logs_envelope(endpoint: str, body: bytes) -> dict[str, Any]:
    """The spend-log envelope (``total``, ``page``, ``page_size``, ``total_pages``, ``total_is_capped``).

    LiteLLM serialises ``data`` first, so the envelope is parsed from the tail without decoding the rows;
    when the body is laid out differently the whole body is parsed instead.
    """
    env = _tail_envelope(body)
    if env is None:
        data = load_json(body)
        if not isinstance(data, dict):
            raise UpstreamSchemaError(endpoint, "data", "body is not an object")
        if not isinstance(data.get("data"), list):
            raise UpstreamSchemaError(endpoint, "data")
        env = {k: v for k, v in data.items() if k != "data"}
        env["_item_count"] = len(data["data"])
    env["total"] = require_int(endpoint, env, "total")
    env["page"] = require_int(endpoint, env, "page")
    env["total_pages"] = require_int(endpoint, env, "total_pages")
    env["total_is_capped"] = bool(env.get("total_is_capped") or False)
    return env


def _tail_envelope(body: bytes) -> dict[str, Any] | None:
    """Parse ``"total": ...}`` after the ``data`` array; indexes into the body without copying it."""
    if not _DATA_START.match(body, 0, 64):
        return None
    end = _skip_space_back(body, len(body))
    if end == 0 or body[end - 1] != _CLOSE_BRACE:
        return None
    start = body.rfind(b'"total"')
    if start < 0 or not _TOTAL_KEY.match(body, start):
        return None
    comma = _skip_space_back(body, start)
    if comma == 0 or body[comma - 1] != _COMMA:
        return None
    bracket = _skip_space_back(body, comma - 1)
    if bracket == 0 or body[bracket - 1] != _CLOSE_BRACKET:
        return None
    try:
        env = json.loads(b"{" + body[start:end])
    except ValueError:
        return None
    if not isinstance(env, dict) or "data" in env:
        return None
    return env


_CLOSE_BRACE, _CLOSE_BRACKET, _COMMA = b"}],"
_SPACE = frozenset(b" \t\r\n")


def _skip_space_back(body: bytes, end: int) -> int:
    """The index just past the last non-whitespace byte before ``end``."""
    while end > 0 and body[end - 1] in _SPACE:
        end -= 1
    return end
