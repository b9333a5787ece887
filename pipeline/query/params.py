"""Validation shared by every query: dates, ranges, options, time zones, team and model names.

Dates are ISO calendar dates (``YYYY-MM-DD``) in UTC (``hourly_usage`` reads them in its ``tz``); both ends
are inclusive, so ``start == end`` is one day. The longest range is ``MAX_SPAN_DAYS`` days, overridable
with the ``LITELLM_USAGE_QUERY_MAX_DAYS`` environment variable.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.query.errors import (
    InvalidDateError,
    InvalidOptionError,
    InvalidRangeError,
    UnknownModelError,
    UnknownTeamError,
)

MAX_SPAN_DAYS = 400
MAX_SPAN_ENV_VAR = "LITELLM_USAGE_QUERY_MAX_DAYS"
DEFAULT_RANGE_DAYS = 30

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DateLike = str | date


@dataclass(frozen=True)
class DateRange:
    """A validated, inclusive range of days."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def parse_date(value: DateLike, parameter: str) -> date:
    """An ISO ``YYYY-MM-DD`` string (or a ``date``) as a date; raises `InvalidDateError`."""
    if isinstance(value, datetime):
        raise InvalidDateError(parameter, f"{value!r} is a datetime, not a day", "a date YYYY-MM-DD")
    if isinstance(value, date):
        return value
    text = value.strip() if isinstance(value, str) else None
    if text is None or not _ISO_DATE.fullmatch(text):
        raise InvalidDateError(parameter, f"{value!r} is not a date", "a date YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidDateError(parameter, f"{value!r} is not a calendar date", "a date YYYY-MM-DD") from None


def max_span_days(environ: Mapping[str, str] | None = None) -> int:
    """The longest allowed range in days (``$LITELLM_USAGE_QUERY_MAX_DAYS`` or `MAX_SPAN_DAYS`)."""
    env = os.environ if environ is None else environ
    raw = env.get(MAX_SPAN_ENV_VAR, "").strip()
    if not raw:
        return MAX_SPAN_DAYS
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidOptionError(
            MAX_SPAN_ENV_VAR, f"{raw!r} is not a positive integer", "a number of days >= 1"
        )
    return int(raw)


def date_range(start: DateLike, end: DateLike, max_days: int | None = None) -> DateRange:
    """Validate ``start``..``end`` (inclusive): ISO dates, ``start <= end``, at most ``max_days`` days."""
    first = parse_date(start, "start")
    last = parse_date(end, "end")
    if first > last:
        raise InvalidRangeError("start", f"{first} is after end {last}", "start <= end")
    limit = max_span_days() if max_days is None else max_days
    span = (last - first).days + 1
    if span > limit:
        raise InvalidRangeError("end", f"the range spans {span} days", f"a range of at most {limit} days")
    return DateRange(first, last)


def default_range(today: date | None = None, days: int = DEFAULT_RANGE_DAYS) -> DateRange:
    """The last ``days`` days ending yesterday (UTC)."""
    current = today or datetime.now(UTC).date()
    end = current - timedelta(days=1)
    return DateRange(end - timedelta(days=days - 1), end)


def choice(value: str, parameter: str, accepted: Sequence[str]) -> str:
    """``value`` if it is one of ``accepted``; raises `InvalidOptionError` otherwise."""
    if value not in accepted:
        raise InvalidOptionError(
            parameter, f"{value!r} is not supported", " or ".join(repr(a) for a in accepted)
        )
    return value


def positive_limit(value: int | None) -> int | None:
    """``None`` or an integer >= 1."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidOptionError("limit", f"{value!r} is not a positive integer", "an integer >= 1")
    return value


def time_zone(name: str) -> ZoneInfo:
    """An IANA time zone such as ``Europe/Berlin``; raises `InvalidOptionError`."""
    try:
        if not name or name.strip() != name or name.startswith(("/", ".")):
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidOptionError(
            "tz", f"{name!r} is not a known time zone", "an IANA name like Europe/Berlin"
        ) from None


def as_list(value: str | Iterable[str] | None) -> list[str]:
    """A filter argument (one name, several, or none) as a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


@dataclass(frozen=True)
class NameIndex:
    """Names known to the warehouse: each accepted spelling maps to the canonical keys it selects."""

    kind: str
    spellings: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, kind: str, pairs: Iterable[tuple[str | None, str | None]]) -> NameIndex:
        """From (key, alias) pairs: each key selects itself, each alias selects every key that carries it."""
        spellings: dict[str, set[str]] = {}
        for key, alias in pairs:
            if key is None:
                continue
            spellings.setdefault(key, set()).add(key)
            if alias:
                spellings.setdefault(alias, set()).add(key)
        return cls(kind, {name: frozenset(keys) for name, keys in spellings.items()})

    def suggestions(self, value: str, n: int = 3) -> list[str]:
        """Close matches for a mistyped name (case-insensitive)."""
        lowered = {name.lower(): name for name in self.spellings}
        exact = lowered.get(value.lower())
        if exact is not None:
            return [exact]
        return [lowered[m] for m in difflib.get_close_matches(value.lower(), list(lowered), n=n, cutoff=0.6)]


def resolve_names(
    values: str | Iterable[str] | None,
    index: NameIndex,
    parameter: str,
    *,
    hints: Mapping[str, str] | None = None,
) -> list[str] | None:
    """Canonical keys selected by ``values`` (``None`` = no filter); unknown names raise with suggestions.

    ``hints`` maps a name to extra text for its error (e.g. which model group a model belongs to).
    """
    names = as_list(values)
    if not names:
        return None
    error = UnknownTeamError if index.kind == "team" else UnknownModelError
    selected: set[str] = set()
    for name in names:
        keys = index.spellings.get(name)
        if keys is None:
            hint = (hints or {}).get(name, "")
            raise error(parameter, name, index.kind, index.suggestions(name), hint)
        selected |= keys
    return sorted(selected)
