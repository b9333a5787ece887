"""Spool extracted pages to local disk, one file per page with the body bytes exactly as received.

Extraction streams into a spool before any write transaction opens, so a failed extraction never touches the
warehouse, memory stays bounded by the pages in flight, and the load is one bulk DuckDB read over the files.
Each spool has a manifest (NDJSON, one line of lineage per page) that the loaders join to the bodies by
file name.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from pipeline.litellm.pages import DailyActivityPage, Page, SpendLogPage
from pipeline.warehouse.errors import WarehouseError
from pipeline.warehouse.memory import release_free_memory

MANIFEST_NAME = "manifest.ndjson"
PAGES_DIR = "pages"


@dataclass(frozen=True, slots=True)
class Spool:
    """Pages written to ``directory/pages`` plus their lineage in ``directory/manifest.ndjson``."""

    directory: Path
    pages: int
    bytes: int
    items: int
    max_page_bytes: int
    days: frozenset[date]
    """Days the pages were requested for (daily activity) or whose UTC span the windows touch (spend logs)."""

    @property
    def manifest(self) -> Path:
        return self.directory / MANIFEST_NAME

    @property
    def pages_dir(self) -> Path:
        return self.directory / PAGES_DIR

    def files(self) -> list[str]:
        """Absolute paths of the spooled page files, in spool order."""
        return [str(path) for path in sorted(self.pages_dir.glob("*.json"))]


@dataclass(frozen=True, slots=True)
class DailySpool(Spool):
    """Spooled ``/team/daily/activity`` pages."""


@dataclass(frozen=True, slots=True)
class SpendLogSpool(Spool):
    """Spooled ``/spend/logs/v2`` pages."""


@contextmanager
def spool_directory(base: Path | str | None = None) -> Iterator[Path]:
    """A fresh temporary directory on local disk for one spool, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="litellm-usage-spool-", dir=base) as name:
        yield Path(name)


S = TypeVar("S", bound=Spool)


class _SpoolWriter:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        if (self.directory / MANIFEST_NAME).exists():
            raise WarehouseError(
                f"{self.directory} already holds a spool; use a fresh directory per extraction."
            )
        (self.directory / PAGES_DIR).mkdir(parents=True, exist_ok=True)
        self.pages = 0
        self.bytes = 0
        self.items = 0
        self.max_page_bytes = 0
        self.days: set[date] = set()
        self._manifest = (self.directory / MANIFEST_NAME).open("w", encoding="utf-8")

    def write(self, page: Page, lineage: dict[str, Any]) -> None:
        self.pages += 1
        name = f"{self.pages:08d}.json"
        (self.directory / PAGES_DIR / name).write_bytes(page.body)
        size = len(page.body)
        self.bytes += size
        self.items += page.item_count
        self.max_page_bytes = max(self.max_page_bytes, size)
        record = {
            "file": name,
            "seq": self.pages,
            "endpoint": page.endpoint,
            "request_params": dict(page.params),
            "page": page.page,
            "total_pages": page.total_pages,
            "item_count": page.item_count,
            "payload_bytes": size,
            **lineage,
        }
        self._manifest.write(json.dumps(record, default=_json_default) + "\n")

    def close(self) -> None:
        """Close the manifest and hand the extraction's freed page buffers back before the load runs."""
        self._manifest.close()
        release_free_memory()

    def spool(self, kind: type[S]) -> S:
        """What was written, as a spool of ``kind``."""
        return kind(
            directory=self.directory,
            pages=self.pages,
            bytes=self.bytes,
            items=self.items,
            max_page_bytes=self.max_page_bytes,
            days=frozenset(self.days),
        )


def _utc_date(value: datetime) -> date:
    return (value.astimezone(UTC) if value.tzinfo else value).date()


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def spool_daily_activity(pages: Iterable[DailyActivityPage], spool_dir: Path | str) -> DailySpool:
    """Write every daily-activity page body to ``spool_dir`` as it streams in."""
    writer = _SpoolWriter(Path(spool_dir))
    try:
        for item in pages:
            writer.days.add(item.day)
            writer.write(
                item.page,
                {"partition_date": item.day, "scope": item.scope.name, "team_id": item.scope.team_id},
            )
    finally:
        writer.close()
    return writer.spool(DailySpool)


def spool_spend_logs(pages: Iterable[SpendLogPage], spool_dir: Path | str) -> SpendLogSpool:
    """Write every spend-log page body to ``spool_dir`` as it streams in."""
    writer = _SpoolWriter(Path(spool_dir))
    try:
        for item in pages:
            writer.days.add(_utc_date(item.window.start))
            writer.days.add(_utc_date(item.window.end))
            writer.write(item.page, {"window_start": item.window.start, "window_end": item.window.end})
    finally:
        writer.close()
    return writer.spool(SpendLogSpool)
