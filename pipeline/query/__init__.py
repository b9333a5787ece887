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
from pipeline.query.meta import DataInfo, data_info
from pipeline.query.usage import leaderboard, model_usage, success_rate, team_usage, timeseries

__all__ = [
    "DataInfo",
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
    "data_info",
    "hourly_usage",
    "leaderboard",
    "model_usage",
    "reader",
    "success_rate",
    "team_usage",
    "timeseries",
]
