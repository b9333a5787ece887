"""Read-only query functions over the marts, each returning a polars DataFrame (see docs/query.md)."""

from pipeline.query.access import close_cached, reader
from pipeline.query.efficiency import cost_efficiency
from pipeline.query.errors import (
    InvalidDateError,
    InvalidOptionError,
    InvalidRangeError,
    QueryError,
    UnknownModelError,
    UnknownNameError,
    UnknownTeamError,
    WarehouseUnavailableError,
)
from pipeline.query.hourly import hourly_usage
from pipeline.query.usage import leaderboard, model_usage, success_rate, team_usage, timeseries

__all__ = [
    "InvalidDateError",
    "InvalidOptionError",
    "InvalidRangeError",
    "QueryError",
    "UnknownModelError",
    "UnknownNameError",
    "UnknownTeamError",
    "WarehouseUnavailableError",
    "close_cached",
    "cost_efficiency",
    "hourly_usage",
    "leaderboard",
    "model_usage",
    "reader",
    "success_rate",
    "team_usage",
    "timeseries",
]
