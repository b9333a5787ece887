"""LiteLLM's two error shapes (LITELLM_API.md §7.2) as an exception the HTTP layer renders."""

from __future__ import annotations

import json


class ApiError(Exception):
    """An HTTP error response: status, JSON body and extra headers."""

    def __init__(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = headers or {}

    def render(self) -> bytes:
        return json.dumps(self.body, separators=(",", ":")).encode()


def openai_error(status: int, message: str, type_: str, param: str | None = None) -> ApiError:
    """Shape (a): ``{"error": {"message", "type", "param", "code"}}`` with ``code`` as a string."""
    return ApiError(
        status, {"error": {"message": message, "type": type_, "param": param, "code": str(status)}}
    )


def detail_error(status: int, detail: object) -> ApiError:
    """Shape (b): FastAPI's ``{"detail": ...}``."""
    return ApiError(status, {"detail": detail})


def query_validation_error(name: str, value: str | None, kind: str, **ctx: int) -> ApiError:
    """FastAPI's 422 for a query parameter (list-shaped ``detail``)."""
    if kind == "int_parsing":
        item: dict[str, object] = {
            "type": "int_parsing",
            "loc": ["query", name],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": value,
        }
    elif kind == "greater_than_equal":
        item = {
            "type": "greater_than_equal",
            "loc": ["query", name],
            "msg": f"Input should be greater than or equal to {ctx['ge']}",
            "input": value,
            "ctx": {"ge": ctx["ge"]},
        }
    else:
        item = {
            "type": "less_than_equal",
            "loc": ["query", name],
            "msg": f"Input should be less than or equal to {ctx['le']}",
            "input": value,
            "ctx": {"le": ctx["le"]},
        }
    return detail_error(422, [item])


def int_param(
    params: dict[str, str], name: str, default: int, ge: int | None = None, le: int | None = None
) -> int:
    """Parse an integer query parameter like FastAPI does, with optional bounds (422 on violation)."""
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise query_validation_error(name, raw, "int_parsing") from None
    if ge is not None and value < ge:
        raise query_validation_error(name, raw, "greater_than_equal", ge=ge)
    if le is not None and value > le:
        raise query_validation_error(name, raw, "less_than_equal", le=le)
    return value
