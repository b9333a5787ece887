"""Configuration of the demo gateway and its opt-in fault injection."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

DEMO_API_KEY = "sk-litellm-usage-demo-not-a-secret"
"""Master key the demo gateway accepts by default (synthetic, not a secret)."""

SPEND_LOGS_COUNT_CAP = 10_000
"""LiteLLM's cap on the `/spend/logs/v2` count (since 1.93)."""


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """Opt-in fault injection (NOT LiteLLM behaviour). All off by default.

    Every ``*_every`` counter counts the gateway's requests since this config was assigned, 1-based: with
    ``rate_limit_every=3`` requests 3, 6, 9, ... are affected. ``paths`` restricts faults to some routes.
    """

    rate_limit_every: int = 0
    """Every Nth request answers 429 with ``Retry-After: retry_after_s``."""
    retry_after_s: float = 1.0
    """Seconds sent in ``Retry-After``; fractional values (``0.1``) are sent as decimals for fast tests."""
    server_error_burst: int = 0
    """The next N requests answer 500, 502, 503, 500, ... in turn."""
    slow_every: int = 0
    """Every Nth request waits ``slow_seconds`` before answering."""
    slow_seconds: float = 0.0
    drop_every: int = 0
    """Every Nth request: the connection is closed without any response."""
    truncate_every: int = 0
    """Every Nth request: a truncated JSON body, with a Content-Length matching the truncated bytes."""
    omit_optional_fields: bool = False
    """Drop every field not in the `[min]` set of LiteLLM_API.md (what LiteLLM 1.72 would send)."""
    extra_unknown_fields: bool = False
    """Add unknown keys at several nesting levels (what a newer LiteLLM might send)."""
    grow_today_between_pages: bool = False
    """Each daily-activity request covering ``end_day`` first appends a new raw row for ``end_day``."""
    paths: tuple[str, ...] = ()
    """Routes the counted faults apply to (e.g. ``("/spend/logs/v2",)``); empty means every route."""


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """How to build the synthetic dataset and where to serve it."""

    days: int = 14
    """Closed days served: ``end_day - days .. end_day - 1``."""
    requests_per_day: int = 2000
    """Requests on an average weekday (weekends get about a third; ``end_day`` only its elapsed part)."""
    seed: int = 42
    end_day: date | None = None
    """The partial day ("today"); default: today in UTC."""
    host: str = "127.0.0.1"
    port: int = 0
    """0 picks a free port."""
    api_key: str = DEMO_API_KEY
    prerendered: bool = False
    """Serve pages from pre-rendered/cached bytes so benchmarks do not measure the server's JSON rendering."""
    page_latency_ms: float = 0.0
    """Extra latency per request (mimics database time); never blocks other connections."""
    faults: FaultConfig = field(default_factory=FaultConfig)
    spend_logs_count_cap: int = SPEND_LOGS_COUNT_CAP
    """Count cap of `/spend/logs/v2`; keep LiteLLM's 10,000 except in tests."""
    end_day_fraction: float | None = None
    """Share of ``end_day`` that has elapsed; default: the real share if ``end_day`` is today, else 0.5."""
