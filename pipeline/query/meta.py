"""Facts about the published data itself: the days it covers and whether it is demo data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipeline.query.access import reader
from pipeline.query.usage import Db


@dataclass(frozen=True)
class DataInfo:
    """Days covered by ``marts.team_usage_daily`` (None when empty), the demo flag and the source read."""

    first_day: date | None
    last_day: date | None
    is_demo: bool | None
    source: str


def data_info(db: Db = None) -> DataInfo:
    """What the snapshot (or, without one, the warehouse) holds."""
    with reader(db) as r:
        first, last = r.rows("SELECT min(date), max(date) FROM marts.team_usage_daily")[0]
        return DataInfo(first, last, r.is_demo(), r.source)
