"""What the client hands on: one HTTP response body per page, exactly as received."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a paged LiteLLM endpoint.

    ``body`` holds the response bytes exactly as received, so the raw layer can bulk-load them with DuckDB
    without per-row Python work. The envelope fields are parsed from the body by the client.
    """

    endpoint: str
    """Route path, e.g. ``/team/daily/activity`` or ``/spend/logs/v2``."""
    params: dict[str, str]
    """Query parameters sent (never the API key)."""
    page: int
    body: bytes
    total_pages: int
    item_count: int
    """Number of ``results`` (daily activity) or ``data`` rows (spend logs) in this page."""
    retries: int = 0
    """Retries spent fetching this page."""


@dataclass(frozen=True, slots=True)
class DailyScope:
    """One daily-activity extraction scope: a single team, or everything not in the known teams."""

    name: str
    """``team:<team_id>`` or ``unassigned``."""
    team_id: str | None
    team_ids: tuple[str, ...] = ()
    exclude_team_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DailyActivityPage:
    """A daily-activity page with the day and scope it belongs to."""

    day: date
    scope: DailyScope
    page: Page


@dataclass(frozen=True, slots=True)
class SpendLogWindow:
    """A closed spend-log window; both bounds are sent to LiteLLM and are inclusive at second precision."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class SpendLogPage:
    """A spend-log page with the window it was read from.

    Adjacent windows share their boundary second (``[10:00:00, 11:00:00]``, ``[11:00:00, 12:00:00]``)
    because LiteLLM's bounds are inclusive at second precision while ``startTime`` has milliseconds: nothing
    between ``10:59:59.500`` and ``11:00:00.999`` is missed, but a row exactly on a boundary can arrive in
    both windows, and a re-read dense window can repeat rows. Consumers must dedupe on ``request_id``.
    """

    window: SpendLogWindow
    page: Page


@dataclass(slots=True)
class ExtractStats:
    """Counters a caller can report as run metadata."""

    requests: int = 0
    pages: int = 0
    bytes: int = 0
    retries: int = 0
    windows_split: int = 0
    rereads: int = 0
    extra: dict[str, int] = field(default_factory=dict)
