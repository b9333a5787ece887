"""Typed errors raised by the query layer.

`QueryError` and its subclasses are bad input (the CLI exits 2); `WarehouseUnavailableError` is a runtime
problem (nothing to read yet, or the file is locked; the CLI exits 1).
"""

from __future__ import annotations

from collections.abc import Sequence


class QueryError(ValueError):
    """A query parameter is invalid; names the parameter and the accepted form."""

    def __init__(self, parameter: str, message: str, accepted: str) -> None:
        self.parameter = parameter
        self.accepted = accepted
        super().__init__(f"{parameter}: {message} (expected {accepted})")


class InvalidDateError(QueryError):
    """A date is not an ISO calendar date."""


class InvalidRangeError(QueryError):
    """The date range is reversed or longer than the allowed span."""


class InvalidOptionError(QueryError):
    """An option (``by``, ``tz``, ``limit`` ...) has a value outside its accepted set."""


class UnknownNameError(QueryError):
    """A team or model name matches nothing in the warehouse; carries close matches."""

    def __init__(
        self, parameter: str, value: str, kind: str, suggestions: Sequence[str], hint: str = ""
    ) -> None:
        self.value = value
        self.suggestions = tuple(suggestions)
        did_you_mean = f"; did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(
            parameter,
            f"unknown {kind} {value!r}{did_you_mean}{hint}",
            f"a {kind} known to the warehouse",
        )


class UnknownTeamError(UnknownNameError):
    """No team has this id or alias."""


class UnknownModelError(UnknownNameError):
    """No model or model group has this name."""


class WarehouseUnavailableError(RuntimeError):
    """There is nothing to read (no snapshot and no warehouse), or the warehouse stayed locked."""
