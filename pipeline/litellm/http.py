"""One GET with bounded retries: exponential backoff with full jitter, Retry-After, typed errors."""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

import httpx

from pipeline.litellm.config import LiteLLMConfig
from pipeline.litellm.envelope import InvalidBodyError, error_message
from pipeline.litellm.errors import (
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    HTTPStatusError,
    NotFoundError,
    RetriesExhaustedError,
)
from pipeline.litellm.pages import ExtractStats
from pipeline.litellm.transport import Urllib3Transport

log = logging.getLogger("pipeline.litellm")

DEMO_HEADER = "x-litellm-usage-demo"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Fetched(Generic[T]):
    body: bytes
    parsed: T
    retries: int


class StatsRecorder:
    """Thread-safe updates of :class:`ExtractStats`."""

    def __init__(self, stats: ExtractStats) -> None:
        self.stats = stats
        self._lock = threading.Lock()

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                if hasattr(self.stats, name) and name != "extra":
                    setattr(self.stats, name, getattr(self.stats, name) + value)
                else:
                    self.stats.extra[name] = self.stats.extra.get(name, 0) + value


class Fetcher:
    """Issues GETs on a shared ``httpx.Client`` and retries transient failures."""

    def __init__(
        self,
        config: LiteLLMConfig,
        recorder: StatsRecorder,
        closed: threading.Event,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._config = config
        self._recorder = recorder
        self._closed = closed
        self._rng = random.Random()
        self.source_is_demo: bool | None = None
        pool = config.max_concurrency + 4
        self._http = httpx.Client(
            base_url=config.base_url + "/",
            headers={"Authorization": f"Bearer {config.api_key}", "Accept": "application/json"},
            timeout=httpx.Timeout(config.timeout_seconds, connect=config.connect_timeout_seconds),
            limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
            transport=transport or default_transport(pool),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def scrub(self, text: str) -> str:
        """Remove the API key from text that may echo it (LiteLLM error messages sometimes do)."""
        key = self._config.api_key
        return text.replace(key, "***") if key and key in text else text

    def get(self, endpoint: str, params: dict[str, str], parse: Callable[[bytes], T]) -> Fetched[T]:
        """GET ``endpoint``; ``parse`` validates the body (``InvalidBodyError`` means retry)."""
        cfg = self._config
        deadline = time.monotonic() + cfg.retry_budget_seconds
        attempt = 0
        while True:
            if self._closed.is_set():
                raise ClientClosedError("the LiteLLM client was closed")
            attempt += 1
            status: int | None = None
            retry_after: float | None = None
            self._recorder.add(requests=1)
            try:
                response, body = self._send(endpoint, params)
                status = response.status_code
                self._recorder.add(bytes=len(body))
                self.source_is_demo = response.headers.get(DEMO_HEADER) == "1"
                if status in RETRY_STATUSES:
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
                    problem = f"HTTP {status}: {self.scrub(error_message(body, 200))}"
                elif status >= 400:
                    raise self._status_error(endpoint, status, body)
                elif status >= 300:
                    raise HTTPStatusError(
                        endpoint, status, f"unexpected redirect to {response.headers.get('location', '?')}"
                    )
                else:
                    parsed = parse(body)
                    return Fetched(body, parsed, attempt - 1)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {self.scrub(str(exc)) or 'no detail'}"
            except InvalidBodyError as exc:
                problem = str(exc)
            delay = self._delay(attempt, retry_after)
            remaining = deadline - time.monotonic()
            if attempt >= cfg.max_attempts or delay > remaining:
                raise RetriesExhaustedError(endpoint, params, attempt, problem)
            self._recorder.add(retries=1)
            log.warning(
                "LiteLLM %s params=%s failed (status=%s, %s); attempt %d/%d, retrying in %.2fs",
                endpoint,
                params,
                status,
                problem,
                attempt,
                cfg.max_attempts,
                delay,
            )
            if self._closed.wait(delay):
                raise ClientClosedError("the LiteLLM client was closed")

    def _send(self, endpoint: str, params: dict[str, str]) -> tuple[httpx.Response, bytes]:
        """One GET; the body is read as a stream and joined once (one chunk, so no copy, with
        :class:`Urllib3Transport`; httpx's ``Response.read`` copies large bodies several times)."""
        with self._http.stream("GET", endpoint.lstrip("/"), params=params) as response:
            return response, b"".join(response.iter_bytes())

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        cfg = self._config
        if retry_after is not None:
            return max(0.0, retry_after)
        ceiling = min(cfg.backoff_max_seconds, cfg.backoff_initial_seconds * 2 ** (attempt - 1))
        return self._rng.uniform(0.0, ceiling)

    def _status_error(self, endpoint: str, status: int, body: bytes) -> HTTPStatusError:
        message = self.scrub(error_message(body))
        if status in (401, 403):
            return AuthenticationError(endpoint, status, message)
        if status == 404:
            return NotFoundError(endpoint, status, message)
        if status in (400, 422):
            return BadRequestError(endpoint, status, message)
        return HTTPStatusError(endpoint, status, message)


def default_transport(pool_size: int) -> httpx.BaseTransport | None:
    """:class:`Urllib3Transport`, or httpx's own (``None``) when the environment configures a proxy,
    which only httpx's transport honours."""
    proxies = {scheme for scheme in urllib.request.getproxies() if scheme != "no"}
    return None if proxies else Urllib3Transport(pool_size)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds (fractions allowed) or an HTTP-date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)
