"""Daily-activity crawls: every page of one query, fetched concurrently, re-read when the result set moves."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pipeline.litellm.crawler import Crawler
from pipeline.litellm.envelope import daily_envelope
from pipeline.litellm.errors import PageLimitExceededError, PaginationChangedError
from pipeline.litellm.http import Fetched
from pipeline.litellm.pages import Page
from pipeline.litellm.scheduler import BoundedRunner, Task

log = logging.getLogger("pipeline.litellm")

DAILY_ENDPOINT = "/team/daily/activity"

DailyEnvelope = tuple[int, int, bool, int]


@dataclass(slots=True)
class _Crawl:
    context: Any
    params: dict[str, str]
    generation: int = 0
    rereads: int = 0
    total_pages: int = 0
    pages: dict[int, Page] = field(default_factory=dict)


class DailyCrawler(Crawler):
    """Pages ``/team/daily/activity`` queries; one crawl = one parameter set, all its pages."""

    def crawl(self, queries: Iterator[tuple[Any, dict[str, str]]]) -> Iterator[tuple[Any, Page]]:
        """Yield ``(context, page)`` for every query; a query's pages come together, in page order.

        A query's pages are held until all of them were read with the same ``total_pages``, so a crawl
        that had to be restarted never hands on pages from the abandoned read.
        """
        runner = self._new_runner()

        def refill() -> Task | None:
            nxt = next(queries, None)
            if nxt is None:
                return None
            crawl = _Crawl(context=nxt[0], params={**nxt[1], "page_size": str(self._config.page_size)})
            return self._task(crawl, 1)

        for task, fetched in runner.results(refill):
            crawl, generation, page_no = task.tag
            if generation != crawl.generation:
                continue
            page = self._page(crawl, page_no, fetched)
            if not self._accept(crawl, page_no, page, fetched.parsed, runner):
                continue
            if len(crawl.pages) == crawl.total_pages:
                for number in sorted(crawl.pages):
                    self._recorder.add(pages=1)
                    yield crawl.context, crawl.pages[number]
                crawl.pages.clear()

    def _accept(
        self, crawl: _Crawl, page_no: int, page: Page, env: DailyEnvelope, runner: BoundedRunner
    ) -> bool:
        _, total_pages, has_more, count = env
        if page_no == 1:
            if not has_more or count == 0:
                crawl.total_pages = 1
                crawl.pages = {1: page}
                return True
            if total_pages < 2:
                return self._restart(crawl, runner, f"page 1 has has_more=true but total_pages={total_pages}")
            if total_pages > self._config.max_pages:
                raise PageLimitExceededError(
                    f"{DAILY_ENDPOINT} {crawl.params} reports {total_pages} pages, above the ceiling of "
                    f"{self._config.max_pages} (raise max_pages or LITELLM_PAGE_SIZE)"
                )
            crawl.total_pages = total_pages
            crawl.pages = {1: page}
            runner.add_urgent([self._task(crawl, n) for n in range(2, total_pages + 1)])
            return False
        expected_more = page_no < crawl.total_pages
        if total_pages != crawl.total_pages or has_more != expected_more or count == 0:
            return self._restart(
                crawl,
                runner,
                f"page {page_no} reports total_pages={total_pages}, has_more={has_more}, {count} results; "
                f"page 1 reported total_pages={crawl.total_pages}",
            )
        crawl.pages[page_no] = page
        return True

    def _restart(self, crawl: _Crawl, runner: BoundedRunner, reason: str) -> bool:
        crawl.rereads += 1
        crawl.generation += 1
        crawl.pages = {}
        crawl.total_pages = 0
        if crawl.rereads > self._config.max_rereads:
            raise PaginationChangedError(
                f"{DAILY_ENDPOINT} {crawl.params}: the result set kept changing while it was paged "
                f"({reason}); gave up after {self._config.max_rereads} re-read(s). This happens when rows "
                "are still being written for the day (e.g. today); extract closed days or retry later."
            )
        self._recorder.add(rereads=1)
        log.warning(
            "LiteLLM %s params=%s changed while paging (%s); re-reading from page 1 (%d/%d)",
            DAILY_ENDPOINT,
            crawl.params,
            reason,
            crawl.rereads,
            self._config.max_rereads,
        )
        runner.add(self._task(crawl, 1), urgent=True)
        return False

    def _task(self, crawl: _Crawl, page_no: int) -> Task:
        params = {**crawl.params, "page": str(page_no)}
        return Task(self._fetch, params, tag=(crawl, crawl.generation, page_no))

    def _fetch(self, params: dict[str, str]) -> Fetched[DailyEnvelope]:
        return self._fetcher.get(DAILY_ENDPOINT, params, partial(daily_envelope, DAILY_ENDPOINT))

    @staticmethod
    def _page(crawl: _Crawl, page_no: int, fetched: Fetched[DailyEnvelope]) -> Page:
        _, total_pages, _, count = fetched.parsed
        return Page(
            endpoint=DAILY_ENDPOINT,
            params={**crawl.params, "page": str(page_no)},
            page=page_no,
            body=fetched.body,
            total_pages=total_pages,
            item_count=count,
            retries=fetched.retries,
        )
