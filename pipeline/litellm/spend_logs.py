"""Spend-log extraction over adaptive, overlapping time windows that each fit one page."""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from pipeline.litellm.config import LiteLLMConfig
from pipeline.litellm.crawler import Crawler
from pipeline.litellm.envelope import load_json, spend_logs_envelope
from pipeline.litellm.errors import PageLimitExceededError, PaginationChangedError, UpstreamSchemaError
from pipeline.litellm.http import Fetched, Fetcher, StatsRecorder
from pipeline.litellm.pages import Page, SpendLogPage, SpendLogWindow
from pipeline.litellm.scheduler import BoundedRunner, Task

log = logging.getLogger("pipeline.litellm")

SPEND_LOGS_ENDPOINT = "/spend/logs/v2"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_epoch_second(value: datetime) -> int:
    """Whole UTC seconds since the epoch (naive datetimes are read as UTC; fractions are dropped)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return math.floor((aware - _EPOCH).total_seconds())


def from_epoch_second(value: int) -> datetime:
    return _EPOCH + timedelta(seconds=value)


def format_bound(value: int) -> str:
    return from_epoch_second(value).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True, slots=True)
class _Window:
    start: int
    end: int

    @property
    def seconds(self) -> int:
        return self.end - self.start

    def public(self) -> SpendLogWindow:
        return SpendLogWindow(start=from_epoch_second(self.start), end=from_epoch_second(self.end))


class _Density:
    """Exponentially weighted rows per second, from the totals of windows already read."""

    def __init__(self) -> None:
        self.rows = 0.0
        self.seconds = 0.0
        self.known = False

    def observe(self, rows: int, seconds: int) -> None:
        self.rows = self.rows * 0.8 + rows
        self.seconds = self.seconds * 0.8 + max(1, seconds)
        self.known = True

    def window_seconds(self, target_rows: float, maximum: int) -> int:
        if self.rows <= 0:
            return maximum
        return max(1, min(maximum, int(target_rows * self.seconds / self.rows)))


class SpendLogCrawler(Crawler):
    """Splits ``[start, end]`` into windows that each fit one page, so no OFFSET paging is needed."""

    def __init__(
        self,
        config: LiteLLMConfig,
        fetcher: Fetcher,
        recorder: StatsRecorder,
        new_runner: Callable[[], BoundedRunner],
    ) -> None:
        super().__init__(config, fetcher, recorder, new_runner)
        self._page_size = config.spend_logs_page_size
        self._target = max(1.0, config.spend_logs_fill_ratio * self._page_size)

    def crawl(self, start: datetime, end: datetime) -> Iterator[SpendLogPage]:
        first, last = to_epoch_second(start), to_epoch_second(end)
        if last < first:
            raise ValueError(f"spend-log range ends ({end}) before it starts ({start})")
        runner = self._new_runner()
        density = _Density()
        cursor = first
        done = False
        probing = False

        def refill() -> Task | None:
            nonlocal cursor, done, probing
            if done or (probing and not density.known):
                return None
            size = (
                density.window_seconds(self._target, self._config.spend_logs_max_window_seconds)
                if density.known
                else self._config.spend_logs_initial_window_seconds
            )
            window = _Window(cursor, min(last, cursor + size))
            cursor = window.end
            done = window.end >= last
            probing = True
            return Task(self._fetch, window, 1, tag=("probe", window))

        for task, result in runner.results(refill):
            kind, window = task.tag
            if kind == "dense":
                for page in result:
                    self._recorder.add(pages=1)
                    yield SpendLogPage(window=window.public(), page=page)
                continue
            env = result.parsed
            total, capped = env["total"], env["total_is_capped"]
            density.observe(total, window.seconds)
            if not capped and total <= self._page_size:
                self._recorder.add(pages=1)
                yield SpendLogPage(window=window.public(), page=self._page(window, 1, result, total))
            elif window.seconds > 1:
                runner.add_urgent(
                    [Task(self._fetch, w, 1, tag=("probe", w)) for w in self._split(window, total)]
                )
                self._recorder.add(windows_split=1)
            else:
                runner.add(Task(self._read_dense, window, result, tag=("dense", window)), urgent=True)

    def _split(self, window: _Window, total: int) -> list[_Window]:
        parts = min(window.seconds, max(2, math.ceil(total / self._target)))
        bounds = [window.start + round(i * window.seconds / parts) for i in range(parts + 1)]
        return [_Window(a, b) for a, b in itertools.pairwise(bounds) if b > a]

    def _params(self, window: _Window, page: int, read_pass: int = 0) -> dict[str, str]:
        return {
            "start_date": format_bound(window.start),
            "end_date": format_bound(window.end),
            "page": str(page),
            "page_size": str(max(1, self._page_size - 7 * (read_pass // 2))),
            "sort_by": "startTime",
            "sort_order": "desc" if read_pass % 2 else "asc",
        }

    def _fetch(self, window: _Window, page: int, read_pass: int = 0) -> Fetched[dict[str, Any]]:
        return self._fetcher.get(
            SPEND_LOGS_ENDPOINT,
            self._params(window, page, read_pass),
            partial(spend_logs_envelope, SPEND_LOGS_ENDPOINT),
        )

    def _page(
        self, window: _Window, page: int, fetched: Fetched[dict[str, Any]], items: int, read_pass: int = 0
    ) -> Page:
        return Page(
            endpoint=SPEND_LOGS_ENDPOINT,
            params=self._params(window, page, read_pass),
            page=page,
            body=fetched.body,
            total_pages=fetched.parsed["total_pages"],
            item_count=items,
            retries=fetched.retries,
        )

    def _read_dense(self, window: _Window, first: Fetched[dict[str, Any]]) -> list[Page]:
        """OFFSET-page a window that cannot be split until the distinct request_ids reach ``total``.

        Rows with equal ``startTime`` have no stable order, so one pass can skip some and repeat others.
        Re-reads alternate ``desc``/``asc`` and shrink the page size slightly so page boundaries fall on
        other rows; each adds the pages that brought new request_ids (repeats are harmless: rows are
        deduped on ``request_id`` downstream) until the union matches ``total``.
        """
        pages: list[Page] = []
        ids: set[str] = set()
        attempt = 0
        while True:
            total, capped = self._read_pages(window, first if attempt == 0 else None, pages, ids, attempt)
            if capped:
                self._recorder.add(unverified_windows=1)
                log.warning(
                    "LiteLLM %s window %s..%s holds more than the 10,000-row count cap in one second; "
                    "read %d distinct rows until an empty page, completeness cannot be verified",
                    SPEND_LOGS_ENDPOINT,
                    format_bound(window.start),
                    format_bound(window.end),
                    len(ids),
                )
                return pages
            if len(ids) == total:
                return pages
            attempt += 1
            if attempt > self._config.max_rereads:
                raise PaginationChangedError(
                    f"{SPEND_LOGS_ENDPOINT} window {format_bound(window.start)}..{format_bound(window.end)}: "
                    f"paging returned {len(ids)} distinct request_ids but total={total} after "
                    f"{self._config.max_rereads} re-read(s) (rows with equal startTime moved between pages)"
                )
            self._recorder.add(rereads=1)
            log.warning(
                "LiteLLM %s window %s..%s: %d distinct request_ids, total=%d; re-reading (%d/%d)",
                SPEND_LOGS_ENDPOINT,
                format_bound(window.start),
                format_bound(window.end),
                len(ids),
                total,
                attempt,
                self._config.max_rereads,
            )

    def _read_pages(
        self,
        window: _Window,
        first: Fetched[dict[str, Any]] | None,
        pages: list[Page],
        ids: set[str],
        read_pass: int,
    ) -> tuple[int, bool]:
        """One OFFSET pass over a window; appends the pages that add new request_ids."""
        fetched = first or self._fetch(window, 1, read_pass)
        total, capped = fetched.parsed["total"], fetched.parsed["total_is_capped"]
        page_no = 1
        while True:
            rows = _rows(fetched.body)
            new = {_request_id(row) for row in rows} - ids
            if new:
                ids.update(new)
                pages.append(self._page(window, page_no, fetched, len(rows), read_pass))
            if not rows or (not capped and page_no >= fetched.parsed["total_pages"]):
                return total, capped
            page_no += 1
            if page_no > self._config.max_pages:
                raise PageLimitExceededError(
                    f"{SPEND_LOGS_ENDPOINT} window {format_bound(window.start)}..{format_bound(window.end)} "
                    f"needs more than {self._config.max_pages} pages"
                )
            fetched = self._fetch(window, page_no, read_pass)


def _rows(body: bytes) -> list[Any]:
    data = load_json(body)
    rows = data.get("data") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise UpstreamSchemaError(SPEND_LOGS_ENDPOINT, "data")
    return rows


def _request_id(row: Any) -> str:
    value = row.get("request_id") if isinstance(row, dict) else None
    if not isinstance(value, str) or not value:
        raise UpstreamSchemaError(SPEND_LOGS_ENDPOINT, "data[].request_id")
    return value
