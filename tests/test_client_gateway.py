"""Client against the demo gateway over real HTTP: paging, windows, faults, secrets."""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from pipeline.demo_gateway import DemoGateway, FaultConfig, GatewayConfig
from pipeline.litellm.client import LiteLLMClient
from pipeline.litellm.config import LiteLLMConfig
from pipeline.litellm.errors import AuthenticationError, PaginationChangedError

pytestmark = pytest.mark.slow

END_DAY = date(2026, 3, 4)
MIN_METRICS = (
    "spend",
    "prompt_tokens",
    "completion_tokens",
    "total_tokens",
    "api_requests",
    "failed_requests",
)
MIN_DIMENSIONS = ("total", "models", "providers", "api_keys", "entities")
BOUNDARY_SPAN = (datetime(2026, 3, 2, 14, 0, 0, tzinfo=UTC), 900)
DENSE_SECOND = datetime(2026, 3, 3, 9, 30, 7, tzinfo=UTC)


def _ms(value: datetime) -> int:
    return int(value.timestamp()) * 1000


def _with_constructed_rows(spend_logs: pl.DataFrame) -> pl.DataFrame:
    """Rows exactly on every whole second (and at .999) of a span, plus 1,200 rows inside one second."""
    start, seconds = BOUNDARY_SPAN
    instants = [(f"edge-{s}-000", _ms(start) + s * 1000) for s in range(seconds)]
    instants += [(f"edge-{s}-999", _ms(start) + s * 1000 + 999) for s in range(0, seconds, 7)]
    instants += [(f"dense-{i}", _ms(DENSE_SECOND) + (i % 40) * 25) for i in range(1200)]
    template = spend_logs.head(1)
    extra = pl.concat(
        [
            template.with_columns(
                request_id=pl.lit(rid),
                litellm_call_id=pl.lit(rid),
                start_ms=pl.lit(ms, dtype=pl.Int64),
                start_time=pl.lit(datetime.fromtimestamp(ms / 1000, UTC)).dt.cast_time_unit("us"),
            )
            for rid, ms in instants
        ]
    )
    return pl.concat([spend_logs, extra.select(spend_logs.columns)]).sort("start_ms", maintain_order=True)


@pytest.fixture(scope="module")
def gw() -> Iterator[DemoGateway]:
    with DemoGateway.start(
        GatewayConfig(days=2, requests_per_day=12_000, seed=7, end_day=END_DAY)
    ) as gateway:
        gateway.dataset = dataclasses.replace(
            gateway.dataset, spend_logs=_with_constructed_rows(gateway.dataset.spend_logs)
        )
        yield gateway


def client_for(gw: DemoGateway, **overrides: Any) -> LiteLLMClient:
    values: dict[str, Any] = {
        "backoff_initial_seconds": 0.01,
        "backoff_max_seconds": 0.05,
        "retry_budget_seconds": 20.0,
        "max_attempts": 8,
        "timeout_seconds": 5.0,
        "max_concurrency": 8,
    }
    values.update(overrides)
    env = {"LITELLM_BASE_URL": gw.base_url, "LITELLM_API_KEY": gw.api_key}
    return LiteLLMClient(LiteLLMConfig.from_env(env, **values), transport=None)


def merged_daily(
    client: LiteLLMClient, days: list[date], team_ids: list[str]
) -> dict[tuple[Any, ...], float]:
    """Merge pages by summing every [min] metric of every breakdown cell, per (day, scope)."""
    cells: dict[tuple[Any, ...], float] = {}

    def add(key: tuple[Any, ...], metrics: dict[str, Any]) -> None:
        for name in MIN_METRICS:
            cells[(*key, name)] = cells.get((*key, name), 0.0) + float(metrics.get(name, 0))

    for item in client.iter_daily_activity(days, client.daily_scopes(team_ids)):
        body = json.loads(item.page.body)
        for result in body["results"]:
            base = (item.day.isoformat(), item.scope.name, result["date"])
            add((*base, "total"), result["metrics"])
            for dim, buckets in result["breakdown"].items():
                for bucket, entry in buckets.items():
                    if isinstance(entry, dict) and "metrics" in entry:
                        add((*base, dim, bucket), entry["metrics"])
                        for key, sub in (entry.get("api_key_breakdown") or {}).items():
                            add((*base, dim, bucket, key), sub["metrics"])
    return cells


def spend_ids(client: LiteLLMClient, start: datetime, end: datetime) -> tuple[list[str], list[Any]]:
    ids: list[str] = []
    pages = []
    for item in client.iter_spend_logs(start, end):
        rows = json.loads(item.page.body)["data"]
        assert item.page.item_count == len(rows)
        ids.extend(r["request_id"] for r in rows)
        pages.append(item)
    return ids, pages


def expected_ids(gw: DemoGateway, start: datetime, end: datetime) -> set[str]:
    frame = gw.dataset.spend_logs.filter(pl.col("start_ms").is_between(_ms(start), _ms(end)))
    return set(frame["request_id"].to_list())


def assert_close(got: dict[tuple[Any, ...], float], want: dict[tuple[Any, ...], float]) -> None:
    assert got.keys() == want.keys()
    bad = [k for k in want if abs(got[k] - want[k]) > 1e-6 * max(1.0, abs(want[k]))]
    assert not bad, bad[:5]


def test_pages_merge_to_the_single_page_answer(gw: DemoGateway) -> None:
    days = [gw.dataset.first_day, gw.dataset.last_day]
    team_ids = [t["team_id"] for t in gw.dataset.teams]
    with client_for(gw, page_size=1000) as client:
        whole = merged_daily(client, days, team_ids)
        single_pages = client.stats.pages
    with client_for(gw, page_size=3) as client:
        split = merged_daily(client, days, team_ids)
        assert client.stats.pages > 2 * single_pages
        assert client.source_is_demo
    assert_close(split, whole)
    rows = gw.dataset.daily_rows.filter(pl.col("date").is_in([d.isoformat() for d in days]))
    for day in days:
        want = rows.filter(pl.col("date") == day.isoformat())["api_requests"].sum()
        got = sum(
            v
            for k, v in whole.items()
            if k[0] == day.isoformat() and k[3] == "total" and k[-1] == "api_requests"
        )
        assert got == want


def test_spend_logs_over_the_cap_are_complete_with_overlapping_edges(gw: DemoGateway) -> None:
    start = datetime.combine(gw.dataset.first_day, datetime.min.time(), UTC)
    end = start + timedelta(days=2)
    want = expected_ids(gw, start, end)
    assert len(want) > 20_000
    with client_for(gw, spend_logs_initial_window_seconds=86_400) as client:
        ids, pages = spend_ids(client, start, end)
        assert client.stats.windows_split >= 1 and client.stats.rereads >= 0
    assert set(ids) == want
    assert len(ids) - len(set(ids)) >= 1, "rows exactly on shared boundary seconds appear in both windows"
    windows = sorted({(p.window.start, p.window.end) for p in pages})
    assert windows[0][0] == start and windows[-1][1] == end
    for left, right in itertools.pairwise(windows):
        assert left[1] >= right[0], f"gap between {left} and {right}"
    edge_hits = {w[1] for w in windows if w[1] - BOUNDARY_SPAN[0] < timedelta(seconds=BOUNDARY_SPAN[1])}
    assert any(w >= BOUNDARY_SPAN[0] for w in edge_hits), "a window edge falls on a constructed on-second row"
    dense = [p for p in pages if p.window.start <= DENSE_SECOND <= p.window.end]
    assert {r for p in dense for r in (x["request_id"] for x in json.loads(p.page.body)["data"])} >= {
        f"dense-{i}" for i in range(1200)
    }


FAULTS = {
    "rate_limit": FaultConfig(rate_limit_every=4, retry_after_s=0.05),
    "server_error_burst": FaultConfig(server_error_burst=5),
    "slow": FaultConfig(slow_every=6, slow_seconds=1.2),
    "dropped_connection": FaultConfig(drop_every=5),
    "truncated_json": FaultConfig(truncate_every=4),
    "missing_optional_fields": FaultConfig(omit_optional_fields=True),
    "unknown_extra_fields": FaultConfig(extra_unknown_fields=True),
}


@pytest.fixture(scope="module")
def clean_run(gw: DemoGateway) -> tuple[dict[tuple[Any, ...], float], set[str]]:
    gw.faults = FaultConfig()
    with client_for(gw) as client:
        return _small_run(gw, client)


def _small_run(gw: DemoGateway, client: LiteLLMClient) -> tuple[dict[tuple[Any, ...], float], set[str]]:
    team_ids = [t["team_id"] for t in client.list_teams()]
    daily = merged_daily(client, [gw.dataset.last_day], team_ids)
    start = datetime.combine(gw.dataset.last_day, datetime.min.time(), UTC) + timedelta(hours=9)
    ids, _ = spend_ids(client, start, start + timedelta(hours=2))
    return daily, set(ids)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_faults_are_survived_with_the_same_data(
    gw: DemoGateway, clean_run: tuple[dict[tuple[Any, ...], float], set[str]], fault: str
) -> None:
    gw.faults = FAULTS[fault]
    try:
        with client_for(
            gw,
            page_size=40,
            spend_logs_page_size=300,
            spend_logs_initial_window_seconds=1200,
            timeout_seconds=0.4,
        ) as client:
            daily, ids = _small_run(gw, client)
            retries = client.stats.retries
    finally:
        gw.faults = FaultConfig()
    want = clean_run[0]
    if fault == "missing_optional_fields":
        want = {k: v for k, v in want.items() if k[3] == "total" or (k[3] in MIN_DIMENSIONS and len(k) == 6)}
    assert_close(daily, want)
    assert ids == clean_run[1]
    if fault not in ("missing_optional_fields", "unknown_extra_fields"):
        assert retries > 0


def test_today_growing_between_pages_rereads_or_raises_the_typed_error() -> None:
    cfg = GatewayConfig(days=1, requests_per_day=3000, seed=3, end_day=END_DAY, end_day_fraction=0.6)
    with DemoGateway.start(cfg) as gateway, client_for(gateway, page_size=2, max_rereads=2) as client:
        team_ids = [t["team_id"] for t in gateway.dataset.teams]
        closed_before = merged_daily(client, [gateway.dataset.last_day], team_ids)
        gateway.faults = FaultConfig(grow_today_between_pages=True)
        with pytest.raises(PaginationChangedError, match="kept changing"):
            merged_daily(client, [END_DAY], team_ids)
        assert client.stats.rereads >= 1
        assert_close(merged_daily(client, [gateway.dataset.last_day], team_ids), closed_before)


def test_the_key_never_reaches_logs_or_errors(gw: DemoGateway, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "urllib3", "pipeline.litellm"):
        caplog.set_level(logging.DEBUG, logger=name)
    gw.faults = FaultConfig(rate_limit_every=5, retry_after_s=0.01, truncate_every=7)
    try:
        with client_for(gw, page_size=200) as client:
            _small_run(gw, client)
            text = repr(client) + str(client.config)
    finally:
        gw.faults = FaultConfig()
    wrong = LiteLLMConfig(base_url=gw.base_url, api_key="sk-wrong-key-abcdef")
    with LiteLLMClient(wrong) as client, pytest.raises(AuthenticationError) as info:
        client.list_teams()
    assert "LITELLM_API_KEY" in str(info.value) and info.value.status == 401
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    assert any(r.name.startswith("urllib3") for r in caplog.records)
    for secret in (gw.api_key, "sk-wrong-key-abcdef"):
        assert secret not in caplog.text
        assert all(secret not in r.getMessage() for r in caplog.records)
        assert secret not in text and secret not in str(info.value) and secret not in repr(info.value)


def test_lists_match_the_gateway(gw: DemoGateway) -> None:
    with client_for(gw) as client:
        assert client.list_teams() == gw.dataset.teams
        assert client.list_keys() == gw.dataset.keys
        assert client.list_deleted_keys() == gw.dataset.deleted_keys
        assert client.list_models() == gw.dataset.models
