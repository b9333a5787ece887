"""Typed warehouse errors."""

from __future__ import annotations


class WarehouseError(Exception):
    """Base class for warehouse failures."""


class WarehouseLockedError(WarehouseError):
    """Another process holds the DuckDB file (or its writer lock) for longer than we were willing to wait."""


class RawLoadError(WarehouseError):
    """A raw load failed; its transaction was rolled back and the previous data is intact."""


class RawDataError(RawLoadError):
    """Spooled data lacks what the raw layer needs (e.g. a spend-log row without ``request_id``)."""


class MixedSourceError(WarehouseError):
    """The warehouse already holds data from a source of the other kind (demo vs real)."""
