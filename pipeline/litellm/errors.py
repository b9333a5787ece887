"""Typed errors raised by the LiteLLM client. Messages never contain the API key."""

from __future__ import annotations


class LiteLLMError(Exception):
    """Base class of every error the client raises."""


class ConfigurationError(LiteLLMError):
    """The client configuration (environment) is missing or invalid."""

    def __init__(self, env_var: str, message: str) -> None:
        super().__init__(f"{env_var}: {message}")
        self.env_var = env_var


class HTTPStatusError(LiteLLMError):
    """LiteLLM answered with a non-retryable error status."""

    def __init__(self, endpoint: str, status: int, upstream_message: str, message: str | None = None) -> None:
        super().__init__(message or f"{endpoint} answered HTTP {status}: {upstream_message}")
        self.endpoint = endpoint
        self.status = status
        self.upstream_message = upstream_message


class AuthenticationError(HTTPStatusError):
    """HTTP 401/403: the key is wrong, expired, blocked, or lacks permission."""

    def __init__(self, endpoint: str, status: int, upstream_message: str) -> None:
        hint = (
            "check LITELLM_API_KEY (it must be a valid, unexpired LiteLLM key)"
            if status == 401
            else "the key in LITELLM_API_KEY lacks permission; use a proxy_admin or proxy_admin_viewer key"
        )
        super().__init__(
            endpoint,
            status,
            upstream_message,
            f"{endpoint} answered HTTP {status}: {upstream_message} ({hint})",
        )


class NotFoundError(HTTPStatusError):
    """HTTP 404 (e.g. a team the caller does not belong to, or a route missing in this LiteLLM version)."""


class BadRequestError(HTTPStatusError):
    """HTTP 400/422, carrying LiteLLM's own message."""


class UpstreamSchemaError(LiteLLMError):
    """A response lacks a field every supported LiteLLM release sends."""

    def __init__(self, endpoint: str, field: str, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(f"{endpoint} response lacks required field {field!r}{extra}")
        self.endpoint = endpoint
        self.field = field


class RetriesExhaustedError(LiteLLMError):
    """A request kept failing with transient errors until the attempt or time budget ran out."""

    def __init__(self, endpoint: str, params: dict[str, str], attempts: int, last_error: str) -> None:
        super().__init__(
            f"{endpoint} failed after {attempts} attempt(s) with params {params}; last error: {last_error}"
        )
        self.endpoint = endpoint
        self.params = params
        self.attempts = attempts
        self.last_error = last_error


class PaginationChangedError(LiteLLMError):
    """The result set kept changing while it was being paged, so a consistent read was not possible."""


class PageLimitExceededError(LiteLLMError):
    """A crawl needed more pages than the configured hard ceiling."""


class ClientClosedError(LiteLLMError):
    """The client was closed while work was outstanding."""
