"""LiteLLM usage API client: the public facade (no Dagster imports)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from types import TracebackType
from typing import Any

import httpx

from pipeline.litellm.config import LiteLLMConfig
from pipeline.litellm.daily import DailyCrawler
from pipeline.litellm.envelope import load_json, require_int
from pipeline.litellm.errors import (
    BadRequestError,
    ClientClosedError,
    PageLimitExceededError,
    UpstreamSchemaError,
)
from pipeline.litellm.http import Fetcher, StatsRecorder
from pipeline.litellm.pages import DailyActivityPage, DailyScope, ExtractStats, Page, SpendLogPage
from pipeline.litellm.scheduler import BoundedRunner
from pipeline.litellm.spend_logs import SpendLogCrawler

log = logging.getLogger("pipeline.litellm")

TEAM_LIST_ENDPOINT = "/v2/team/list"
KEY_LIST_ENDPOINT = "/key/list"
MODEL_INFO_ENDPOINT = "/v2/model/info"
UNASSIGNED_SCOPE = "unassigned"


class LiteLLMClient:
    """Reads usage data from a LiteLLM proxy. Use as a context manager; safe to share between threads.

    Iterators may be abandoned midway: closing them (or the client) cancels outstanding work.
    """

    def __init__(self, config: LiteLLMConfig, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self.stats = ExtractStats()
        self._recorder = StatsRecorder(self.stats)
        self._closed = threading.Event()
        self._fetcher = Fetcher(config, self._recorder, self._closed, transport)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._daily = DailyCrawler(config, self._fetcher, self._recorder, self._runner)
        self._spend_logs = SpendLogCrawler(config, self._fetcher, self._recorder, self._runner)

    def __repr__(self) -> str:
        return f"LiteLLMClient(config={self.config!r})"

    def __enter__(self) -> LiteLLMClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Cancel queued work, stop retry waits, and close the connection pool."""
        self._closed.set()
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        self._fetcher.close()

    @property
    def source_is_demo(self) -> bool:
        """Whether the source is the demo gateway (header ``x-litellm-usage-demo: 1``); probes if unknown."""
        if self._fetcher.source_is_demo is None:
            self._fetcher.get(TEAM_LIST_ENDPOINT, {"page": "1", "page_size": "1"}, lambda body: None)
        return bool(self._fetcher.source_is_demo)

    def daily_scopes(self, team_ids: Iterable[str]) -> list[DailyScope]:
        """One ``team:<id>`` scope per team plus ``unassigned`` (every row not in those teams)."""
        ids = tuple(dict.fromkeys(t for t in team_ids if t))
        scopes = [DailyScope(name=f"team:{t}", team_id=t, team_ids=(t,)) for t in ids]
        scopes.append(DailyScope(name=UNASSIGNED_SCOPE, team_id=None, exclude_team_ids=ids))
        return scopes

    def iter_daily_activity(
        self, days: Iterable[date], scopes: Iterable[DailyScope]
    ) -> Iterator[DailyActivityPage]:
        """Every page of ``/team/daily/activity`` for each (day, scope), one crawl per pair, run concurrently.

        A crawl's pages are yielded together and in page order; crawls complete in any order.
        """
        scope_list = list(scopes)
        queries = (
            ((day, scope), _daily_params(day, day, scope.team_ids, scope.exclude_team_ids))
            for day in days
            for scope in scope_list
        )
        for (day, scope), page in self._daily.crawl(queries):
            yield DailyActivityPage(day=day, scope=scope, page=page)

    def iter_team_daily_activity_pages(
        self,
        start: date,
        end: date,
        team_ids: Iterable[str] | None = None,
        exclude_team_ids: Iterable[str] | None = None,
    ) -> Iterator[Page]:
        """All pages of one ``/team/daily/activity`` query over ``start..end`` (both inclusive), in order."""
        params = _daily_params(start, end, tuple(team_ids or ()), tuple(exclude_team_ids or ()))
        for _, page in self._daily.crawl(iter([(None, params)])):
            yield page

    def iter_spend_logs(self, start: datetime, end: datetime) -> Iterator[SpendLogPage]:
        """Pages of ``/spend/logs/v2`` covering ``start <= startTime <= end`` (bounds at second precision).

        LiteLLM compares ``startTime`` (milliseconds) with ``end`` at ``.000``: a row at ``end + 0.5 s`` is
        not included: to cover a whole day pass the next midnight as ``end`` and drop rows on it downstream.

        Windows overlap on their boundary second, so a row may arrive twice: dedupe on ``request_id``.
        Only pass closed ranges (LiteLLM flushes spend logs with a delay). Pages arrive in any order.
        """
        return self._spend_logs.crawl(start, end)

    def list_teams(self) -> list[dict[str, Any]]:
        """Every team from ``/v2/team/list``."""
        return self._list(TEAM_LIST_ENDPOINT, "teams", {"page_size": "100"}, "page")

    def list_keys(self) -> list[dict[str, Any]]:
        """Every active key (full objects) from ``/key/list``."""
        return self._list(KEY_LIST_ENDPOINT, "keys", {"size": "100", "return_full_object": "true"}, "page")

    def list_deleted_keys(self) -> list[dict[str, Any]]:
        """Deleted keys (``/key/list?status=deleted``); ``[]`` if this LiteLLM version rejects the filter."""
        params = {"size": "100", "return_full_object": "true", "status": "deleted"}
        try:
            return self._list(KEY_LIST_ENDPOINT, "keys", params, "page")
        except BadRequestError as exc:
            log.info(
                "LiteLLM %s does not support status=deleted (%s); no deleted keys", KEY_LIST_ENDPOINT, exc
            )
            return []

    def list_models(self) -> list[dict[str, Any]]:
        """Every model deployment from ``/v2/model/info``."""
        return self._list(MODEL_INFO_ENDPOINT, "data", {"size": "500"}, "page")

    def _list(
        self, endpoint: str, items_key: str, base: dict[str, str], page_param: str
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            params = {**base, page_param: str(page)}
            fetched = self._fetcher.get(
                endpoint, params, lambda body: _list_envelope(endpoint, items_key, body)
            )
            batch, total_pages = fetched.parsed
            self._recorder.add(pages=1)
            items.extend(batch)
            if not batch or page >= total_pages:
                return items
            page += 1
            if page > self.config.max_pages:
                raise PageLimitExceededError(f"{endpoint} needs more than {self.config.max_pages} pages")

    def _runner(self) -> BoundedRunner:
        return BoundedRunner(self._executor(), self.config.max_concurrency)

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._closed.is_set():
                raise ClientClosedError("the LiteLLM client is closed")
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.config.max_concurrency, thread_name_prefix="litellm-client"
                )
            return self._pool


def _daily_params(
    start: date, end: date, team_ids: tuple[str, ...], exclude_team_ids: tuple[str, ...]
) -> dict[str, str]:
    params = {"start_date": start.isoformat(), "end_date": end.isoformat()}
    if team_ids:
        params["team_ids"] = ",".join(team_ids)
    if exclude_team_ids:
        params["exclude_team_ids"] = ",".join(exclude_team_ids)
    return params


def _list_envelope(endpoint: str, items_key: str, body: bytes) -> tuple[list[dict[str, Any]], int]:
    data = load_json(body)
    if not isinstance(data, dict) or not isinstance(data.get(items_key), list):
        raise UpstreamSchemaError(endpoint, items_key)
    items = data[items_key]
    if not all(isinstance(item, dict) for item in items):
        raise UpstreamSchemaError(
            endpoint, f"{items_key}[]", "items are not objects (missing return_full_object?)"
        )
    return items, require_int(endpoint, data, "total_pages")
