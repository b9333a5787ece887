"""Client configuration, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from urllib.parse import urlsplit, urlunsplit

from pipeline.litellm.errors import ConfigurationError

BASE_URL_ENV = "LITELLM_BASE_URL"
API_KEY_ENV = "LITELLM_API_KEY"
TIMEOUT_ENV = "LITELLM_TIMEOUT_SECONDS"
PAGE_SIZE_ENV = "LITELLM_PAGE_SIZE"
SPEND_LOGS_PAGE_SIZE_ENV = "LITELLM_SPEND_LOGS_PAGE_SIZE"
MAX_CONCURRENCY_ENV = "LITELLM_MAX_CONCURRENCY"

SPEND_LOGS_MAX_PAGE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class LiteLLMConfig:
    """Everything the client needs. ``api_key`` is never shown by ``repr``."""

    base_url: str
    api_key: str = field(repr=False)
    timeout_seconds: float = 30.0
    """Read/write/pool timeout of every request."""
    connect_timeout_seconds: float = 10.0
    page_size: int = 1000
    """Daily-activity page size (DB rows per page)."""
    spend_logs_page_size: int = 1000
    max_concurrency: int = 8
    max_attempts: int = 6
    """Attempts per request, including the first."""
    retry_budget_seconds: float = 120.0
    """Upper bound on the wall time one request may spend, retries and waits included."""
    backoff_initial_seconds: float = 0.5
    backoff_max_seconds: float = 20.0
    max_pages: int = 10_000
    """Absolute ceiling on pages for one crawl."""
    max_rereads: int = 8
    """How often a crawl whose result set changed mid-read is restarted before giving up."""
    spend_logs_initial_window_seconds: int = 3600
    spend_logs_max_window_seconds: int = 86_400
    spend_logs_fill_ratio: float = 0.7
    """Target share of a page a spend-log window should fill, so most windows need one request."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", _validate_base_url(self.base_url))
        if not isinstance(self.api_key, str) or not self.api_key.strip():
            raise ConfigurationError(API_KEY_ENV, "is not set; export the LiteLLM admin or viewer key")
        object.__setattr__(self, "api_key", self.api_key.strip())
        _positive(TIMEOUT_ENV, self.timeout_seconds)
        _positive("connect_timeout_seconds", self.connect_timeout_seconds)
        _positive(PAGE_SIZE_ENV, self.page_size)
        _positive(SPEND_LOGS_PAGE_SIZE_ENV, self.spend_logs_page_size)
        if self.spend_logs_page_size > SPEND_LOGS_MAX_PAGE_SIZE:
            raise ConfigurationError(
                SPEND_LOGS_PAGE_SIZE_ENV, f"must be at most {SPEND_LOGS_MAX_PAGE_SIZE} (LiteLLM's limit)"
            )
        _positive(MAX_CONCURRENCY_ENV, self.max_concurrency)
        for name in ("max_attempts", "max_pages", "spend_logs_initial_window_seconds"):
            _positive(name, getattr(self, name))
        _positive("retry_budget_seconds", self.retry_budget_seconds)
        if self.max_rereads < 0:
            raise ConfigurationError("max_rereads", "must be >= 0")
        if not 0 < self.spend_logs_fill_ratio <= 1:
            raise ConfigurationError("spend_logs_fill_ratio", "must be in (0, 1]")

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}"
            for f in fields(self)
            if f.name not in ("api_key", "base_url")
        )
        return f"LiteLLMConfig(base_url={_redact_userinfo(self.base_url)!r}, api_key=<redacted>, {shown})"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> LiteLLMConfig:
        """Build from ``LITELLM_*`` variables; ``overrides`` replace individual fields (tests, benches)."""
        env = os.environ if environ is None else environ
        base_url = env.get(BASE_URL_ENV, "").strip()
        if not base_url:
            raise ConfigurationError(
                BASE_URL_ENV, "is not set; export the LiteLLM proxy URL, e.g. https://llm.example.com"
            )
        api_key = env.get(API_KEY_ENV, "").strip()
        if not api_key:
            raise ConfigurationError(API_KEY_ENV, "is not set; export the LiteLLM admin or viewer key")
        values: dict[str, object] = {"base_url": base_url, "api_key": api_key}
        timeout = _env_number(env, TIMEOUT_ENV, float)
        if timeout is not None:
            values["timeout_seconds"] = timeout
            values["connect_timeout_seconds"] = min(10.0, timeout)
        for env_var, name in (
            (PAGE_SIZE_ENV, "page_size"),
            (SPEND_LOGS_PAGE_SIZE_ENV, "spend_logs_page_size"),
            (MAX_CONCURRENCY_ENV, "max_concurrency"),
        ):
            number = _env_number(env, env_var, int)
            if number is not None:
                values[name] = number
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def _validate_base_url(url: str) -> str:
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError(
            BASE_URL_ENV, "is not set; export the LiteLLM proxy URL, e.g. https://llm.example.com"
        )
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise ConfigurationError(
            BASE_URL_ENV, f"must be an http:// or https:// URL, got scheme {parts.scheme or '(none)'!r}"
        )
    if not parts.hostname:
        raise ConfigurationError(BASE_URL_ENV, "has no host name")
    try:
        parts.port  # noqa: B018
    except ValueError as exc:
        raise ConfigurationError(BASE_URL_ENV, "has an invalid port") from exc
    if parts.query or parts.fragment:
        raise ConfigurationError(BASE_URL_ENV, "must not contain a query string or fragment")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _redact_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit((parts.scheme, "***@" + parts.netloc.rsplit("@", 1)[1], parts.path, "", ""))


def _positive(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigurationError(name, f"must be a positive number, got {value!r}")


def _env_number(env: Mapping[str, str], name: str, kind: type[int] | type[float]) -> int | float | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = kind(raw)
    except ValueError as exc:
        raise ConfigurationError(
            name, f"must be a {'whole ' if kind is int else ''}number, got {raw!r}"
        ) from exc
    if value <= 0:
        raise ConfigurationError(name, f"must be positive, got {raw!r}")
    return value
