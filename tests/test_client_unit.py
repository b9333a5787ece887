"""Client unit tests over httpx.MockTransport (no network)."""

from __future__ import annotations

import itertools
import json
import logging
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from pipeline.litellm.client import LiteLLMClient
from pipeline.litellm.config import LiteLLMConfig
from pipeline.litellm.envelope import error_message, spend_logs_envelope
from pipeline.litellm.errors import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    NotFoundError,
    PaginationChangedError,
    RetriesExhaustedError,
    UpstreamSchemaError,
)
from pipeline.litellm.http import parse_retry_after
from tests.test_client_fakes import KEY, FakeLiteLLM

BASE = datetime(2026, 3, 3, 10, 0, 0, tzinfo=UTC)


def make_client(fake: FakeLiteLLM, **overrides: object) -> LiteLLMClient:
    values: dict[str, object] = {
        "max_attempts": 4,
        "backoff_initial_seconds": 0.001,
        "backoff_max_seconds": 0.01,
        "retry_budget_seconds": 5.0,
        "max_concurrency": 4,
    }
    values.update(overrides)
    env = {"LITELLM_BASE_URL": "http://litellm.test" + fake.prefix, "LITELLM_API_KEY": KEY}
    return LiteLLMClient(LiteLLMConfig.from_env(env, **values), transport=fake.transport())


# --- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "var", "fragment"),
    [
        ({"LITELLM_API_KEY": KEY}, "LITELLM_BASE_URL", "not set"),
        ({"LITELLM_BASE_URL": "ftp://x", "LITELLM_API_KEY": KEY}, "LITELLM_BASE_URL", "http"),
        ({"LITELLM_BASE_URL": "litellm.example.com", "LITELLM_API_KEY": KEY}, "LITELLM_BASE_URL", "http"),
        ({"LITELLM_BASE_URL": "http://", "LITELLM_API_KEY": KEY}, "LITELLM_BASE_URL", "host"),
        ({"LITELLM_BASE_URL": "http://x"}, "LITELLM_API_KEY", "not set"),
        ({"LITELLM_BASE_URL": "http://x", "LITELLM_API_KEY": "  "}, "LITELLM_API_KEY", "not set"),
        (
            {"LITELLM_BASE_URL": "http://x", "LITELLM_API_KEY": KEY, "LITELLM_PAGE_SIZE": "many"},
            "LITELLM_PAGE_SIZE",
            "number",
        ),
        (
            {"LITELLM_BASE_URL": "http://x", "LITELLM_API_KEY": KEY, "LITELLM_SPEND_LOGS_PAGE_SIZE": "5000"},
            "LITELLM_SPEND_LOGS_PAGE_SIZE",
            "1000",
        ),
        (
            {"LITELLM_BASE_URL": "http://x", "LITELLM_API_KEY": KEY, "LITELLM_MAX_CONCURRENCY": "0"},
            "LITELLM_MAX_CONCURRENCY",
            "positive",
        ),
    ],
)
def test_bad_config_names_the_variable(env: dict[str, str], var: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        LiteLLMConfig.from_env(env)
    assert info.value.env_var == var
    assert var in str(info.value) and fragment in str(info.value)
    assert KEY not in str(info.value)


def test_config_defaults_overrides_and_redacted_repr() -> None:
    cfg = LiteLLMConfig.from_env(
        {"LITELLM_BASE_URL": "https://gw.example.com/litellm/", "LITELLM_API_KEY": KEY}
    )
    assert (cfg.timeout_seconds, cfg.connect_timeout_seconds, cfg.page_size, cfg.max_concurrency) == (
        30.0,
        10.0,
        1000,
        8,
    )
    assert cfg.base_url == "https://gw.example.com/litellm"
    custom = LiteLLMConfig.from_env(
        {
            "LITELLM_BASE_URL": "http://x",
            "LITELLM_API_KEY": KEY,
            "LITELLM_TIMEOUT_SECONDS": "2.5",
            "LITELLM_PAGE_SIZE": "50",
            "LITELLM_SPEND_LOGS_PAGE_SIZE": "200",
            "LITELLM_MAX_CONCURRENCY": "3",
        }
    )
    assert (
        custom.timeout_seconds,
        custom.page_size,
        custom.spend_logs_page_size,
        custom.max_concurrency,
    ) == (
        2.5,
        50,
        200,
        3,
    )
    for text in (repr(cfg), str(cfg), repr(LiteLLMClient(cfg))):
        assert KEY not in text and "redacted" in text


def test_path_prefix_and_bearer_header() -> None:
    fake = FakeLiteLLM(daily_rows=[("2026-03-02", "t1", 1.0)], prefix="/proxy/litellm")
    with make_client(fake) as client:
        pages = list(client.iter_team_daily_activity_pages(date(2026, 3, 2), date(2026, 3, 2)))
    assert len(pages) == 1
    req = fake.requests[0]
    assert req.url.path == "/proxy/litellm/team/daily/activity"
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert "timezone" not in req.url.params and req.url.params["page_size"] == "1000"


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"error": {"message": "Authentication Error, bad key", "type": "auth_error"}},
            "Authentication Error, bad key",
        ),
        (
            {"detail": {"error": "Please provide start_date and end_date"}},
            "Please provide start_date and end_date",
        ),
        ({"detail": "page and page_size must be >= 1"}, "page and page_size must be >= 1"),
        (
            {
                "detail": [
                    {"type": "less_than_equal", "loc": ["query", "page_size"], "msg": "should be <= 1000"}
                ]
            },
            "page_size: should be <= 1000",
        ),
    ],
)
def test_error_message_shapes(body: dict[str, object], expected: str) -> None:
    assert error_message(json.dumps(body).encode()) == expected


def test_http_errors_are_typed_and_never_echo_the_key() -> None:
    fake = FakeLiteLLM()
    statuses = iter([401, 403, 404, 400, 422])

    def hook(request: httpx.Request, seq: int) -> httpx.Response:
        status = next(statuses)
        return httpx.Response(status, json={"error": {"message": f"nope, key {KEY} rejected"}})

    fake.hook = hook
    expected = [AuthenticationError, AuthenticationError, NotFoundError, BadRequestError, BadRequestError]
    with make_client(fake) as client:
        for cls in expected:
            with pytest.raises(cls) as info:
                client.list_teams()
            assert KEY not in str(info.value) and KEY not in repr(info.value)
            assert "nope, key *** rejected" in str(info.value)
            if cls is AuthenticationError:
                assert "LITELLM_API_KEY" in str(info.value)
    assert client.stats.retries == 0


def test_wrong_key_gives_authentication_error() -> None:
    fake = FakeLiteLLM()
    cfg = LiteLLMConfig(base_url="http://litellm.test", api_key="sk-wrong")
    with LiteLLMClient(cfg, transport=fake.transport()) as client, pytest.raises(AuthenticationError) as info:
        list(client.iter_spend_logs(BASE, BASE + timedelta(hours=1)))
    assert info.value.status == 401 and "LITELLM_API_KEY" in str(info.value)


def test_retry_after_parsing() -> None:
    now = datetime(2026, 3, 3, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("0.25") == 0.25
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Tue, 03 Mar 2026 12:00:05 GMT", now=now) == 5.0
    assert parse_retry_after("Tue, 03 Mar 2026 11:00:05 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_transient_failures_are_retried_with_warnings(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeLiteLLM(daily_rows=[("2026-03-02", "t1", 1.0)])
    script = {
        1: httpx.Response(429, headers={"Retry-After": "0.01"}, json={"error": {"message": "slow down"}}),
        2: httpx.Response(503, json={"detail": {"error": "db busy"}}),
        3: httpx.Response(200, content=b'{"results": [{"date": "2026-03-02", "metr'),
    }

    def hook(request: httpx.Request, seq: int) -> httpx.Response | None:
        if seq == 4:
            raise httpx.ConnectError("connection refused", request=request)
        if seq == 5:
            raise httpx.ReadTimeout("timed out", request=request)
        return script.get(seq)

    fake.hook = hook
    caplog.set_level(logging.DEBUG)
    with make_client(fake, max_attempts=6) as client:
        pages = list(client.iter_team_daily_activity_pages(date(2026, 3, 2), date(2026, 3, 2)))
    assert len(pages) == 1 and pages[0].retries == 5 and pages[0].item_count == 1
    assert client.stats.retries == 5 and client.stats.requests == 6
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 5
    assert all("/team/daily/activity" in w and "attempt" in w and "2026-03-02" in w for w in warnings)
    assert "status=429" in warnings[0] and "status=503" in warnings[1] and "invalid JSON" in warnings[2]
    assert all(KEY not in r.getMessage() for r in caplog.records)


def test_retries_exhausted_by_attempts_and_by_time_budget() -> None:
    fake = FakeLiteLLM()
    fake.hook = lambda request, seq: httpx.Response(502, text="bad gateway")
    with make_client(fake) as client, pytest.raises(RetriesExhaustedError) as info:
        client.list_models()
    assert info.value.attempts == 4 and "HTTP 502" in str(info.value)
    fake.requests.clear()
    fake.hook = lambda request, seq: httpx.Response(429, headers={"Retry-After": "30"})
    with make_client(fake, retry_budget_seconds=1.0) as client, pytest.raises(RetriesExhaustedError):
        client.list_models()
    assert len(fake.requests) == 1


def test_missing_min_field_raises_schema_error() -> None:
    fake = FakeLiteLLM()
    fake.hook = lambda request, seq: httpx.Response(200, json={"results": [], "metadata": {"page": 1}})
    with make_client(fake) as client, pytest.raises(UpstreamSchemaError) as info:
        list(client.iter_team_daily_activity_pages(date(2026, 3, 2), date(2026, 3, 2)))
    assert info.value.field == "metadata.total_pages"
    fake.hook = lambda request, seq: httpx.Response(
        200, json={"results": [{"date": "x"}], "metadata": {"page": 1, "total_pages": 1, "has_more": False}}
    )
    with make_client(fake) as client, pytest.raises(UpstreamSchemaError, match="metrics"):
        list(client.iter_team_daily_activity_pages(date(2026, 3, 2), date(2026, 3, 2)))


# --- daily activity ------------------------------------------------------------------------------


def _daily_fixture() -> FakeLiteLLM:
    rows = []
    for d in range(3):
        day = (date(2026, 3, 1) + timedelta(days=d)).isoformat()
        for team in ("t1", "t2"):
            rows.extend((day, team, 0.5 + i) for i in range(7 + d))
    return FakeLiteLLM(daily_rows=rows)


def test_daily_pages_in_order_and_merge_to_single_page_totals() -> None:
    fake = _daily_fixture()
    days = [date(2026, 3, 1) + timedelta(days=d) for d in range(3)]
    with make_client(fake, page_size=3) as client:
        scopes = client.daily_scopes(["t1", "t2"])
        pages = list(client.iter_daily_activity(days, scopes))
    assert [s.name for s in scopes] == ["team:t1", "team:t2", "unassigned"]
    by_crawl: dict[tuple[date, str], list[int]] = {}
    spend: dict[tuple[date, str], float] = {}
    for p in pages:
        by_crawl.setdefault((p.day, p.scope.name), []).append(p.page.page)
        body = json.loads(p.page.body)
        spend[(p.day, p.scope.name)] = spend.get((p.day, p.scope.name), 0.0) + sum(
            r["metrics"]["spend"] for r in body["results"]
        )
    assert len(by_crawl) == 9
    assert all(nums == list(range(1, len(nums) + 1)) for nums in by_crawl.values())
    for day in days:
        for team in ("t1", "t2"):
            want = sum(r[2] for r in fake.daily_rows if r[0] == day.isoformat() and r[1] == team)
            assert spend[(day, f"team:{team}")] == pytest.approx(want)
    unassigned = [r for r in fake.requests if "exclude_team_ids" in r.url.params]
    assert unassigned and unassigned[0].url.params["exclude_team_ids"] == "t1,t2"
    assert client.stats.pages == len(pages)


def test_daily_reread_when_total_pages_changes_then_gives_up() -> None:
    fake = _daily_fixture()
    grown = {"n": 0}

    def grow_once(request: httpx.Request, seq: int) -> None:
        if request.url.params.get("page") == "2" and grown["n"] < 1:
            grown["n"] += 1
            with fake.lock:
                fake.daily_rows.extend(("2026-03-03", "t1", 100.0) for _ in range(5))

    fake.hook = grow_once
    with make_client(fake, page_size=4) as client:
        pages = list(client.iter_team_daily_activity_pages(date(2026, 3, 3), date(2026, 3, 3), ["t1"]))
    assert client.stats.rereads == 1
    assert [p.page for p in pages] == list(range(1, 5)) and {p.total_pages for p in pages} == {4}
    total = sum(sum(r["metrics"]["spend"] for r in json.loads(p.body)["results"]) for p in pages)
    assert total == pytest.approx(sum(r[2] for r in fake.daily_rows if r[0] == "2026-03-03" and r[1] == "t1"))

    def grow_always(request: httpx.Request, seq: int) -> None:
        with fake.lock:
            fake.daily_rows.extend(("2026-03-03", "t1", 1.0) for _ in range(4))

    fake.hook = grow_always
    with (
        make_client(fake, page_size=4, max_rereads=2) as client,
        pytest.raises(PaginationChangedError) as info,
    ):
        list(client.iter_team_daily_activity_pages(date(2026, 3, 3), date(2026, 3, 3), ["t1"]))
    assert "kept changing" in str(info.value) and client.stats.rereads == 2


def test_abandoned_iterator_cancels_outstanding_work() -> None:
    fake = _daily_fixture()
    days = [date(2026, 3, 1) + timedelta(days=d) for d in range(3)]
    with make_client(fake, page_size=1, max_concurrency=2) as client:
        it = client.iter_daily_activity(days, client.daily_scopes(["t1", "t2"]))
        next(it)
        it.close()
        sent = len(fake.requests)
    assert sent < 20
    assert len(fake.requests) == sent


# --- spend logs ----------------------------------------------------------------------------------


def test_spend_log_envelope_is_read_from_the_tail() -> None:
    body = b'{"data": [{"request_id": "a", "total": 99}], "total": 1, "page": 1, "page_size": 5, ' + (
        b'"total_pages": 1, "total_is_capped": false}'
    )
    env = spend_logs_envelope("/spend/logs/v2", body)
    assert (env["total"], env["total_pages"], env["total_is_capped"], "_item_count" in env) == (
        1,
        1,
        False,
        False,
    )
    reordered = b'{"total": 1, "page": 1, "total_pages": 1, "data": [{"request_id": "a"}]}'
    assert spend_logs_envelope("/spend/logs/v2", reordered)["_item_count"] == 1
    with pytest.raises(UpstreamSchemaError):
        spend_logs_envelope("/spend/logs/v2", b'{"data": [], "page": 1, "total_pages": 0}')


def _spend_fixture() -> FakeLiteLLM:
    start_ms = int(BASE.timestamp() * 1000)
    rows = [(start_ms + i * 1370, f"r{i}") for i in range(2600)]
    hour = start_ms + 3_600_000
    rows += [(hour, "on-hour-0"), (hour + 999, "on-hour-999"), (hour - 1, "before-hour")]
    rows += [(start_ms + 1_800_000 + (i % 7), f"dense{i}") for i in range(130)]
    return FakeLiteLLM(spend_rows=rows, count_cap=150)


def test_spend_logs_windows_split_and_dense_second_complete() -> None:
    fake = _spend_fixture()
    end = BASE + timedelta(seconds=2600 * 1.37 + 5)
    with make_client(fake, spend_logs_page_size=50, spend_logs_initial_window_seconds=3600) as client:
        pages = list(client.iter_spend_logs(BASE, end))
    ids: list[str] = []
    for p in pages:
        ids.extend(r["request_id"] for r in json.loads(p.page.body)["data"])
        assert p.page.item_count == len(json.loads(p.page.body)["data"])
    want = {rid for ms, rid in fake.spend_rows if ms <= int(end.timestamp()) * 1000}
    assert set(ids) == want
    assert client.stats.windows_split >= 1
    windows = sorted({(p.window.start, p.window.end) for p in pages})
    assert windows[0][0] == BASE and windows[-1][1] == end.replace(microsecond=0)
    assert all(a[1] >= b[0] for a, b in itertools.pairwise(windows))
    dense = [p for p in pages if p.window.end - p.window.start <= timedelta(seconds=1) and p.page.page > 1]
    assert dense, "the 130-row second must be OFFSET-paged"
    for req in fake.requests:
        p = req.url.params
        wide = (
            p["start_date"][:-2] != p["end_date"][:-2]
            or int(p["end_date"][-2:]) - int(p["start_date"][-2:]) > 1
        )
        assert p["sort_by"] == "startTime" and (p["sort_order"] == "asc" or not wide)


def test_spend_logs_dense_window_that_never_stabilises_raises() -> None:
    start_ms = int(BASE.timestamp() * 1000)
    fake = FakeLiteLLM(spend_rows=[(start_ms, f"same{i}") for i in range(60)])
    seen: dict[str, int] = {}

    def drop_one(request: httpx.Request, seq: int) -> httpx.Response | None:
        body = fake.spend_logs(dict(request.url.params))
        doc = json.loads(body)
        doc["data"] = [r for r in doc["data"] if r["request_id"] != "same59"]
        seen["n"] = seen.get("n", 0) + 1
        return httpx.Response(200, json=doc)

    fake.hook = drop_one
    with (
        make_client(fake, spend_logs_page_size=25, max_rereads=1) as client,
        pytest.raises(PaginationChangedError),
    ):
        list(client.iter_spend_logs(BASE, BASE))
    assert client.stats.rereads == 1


# --- lists ---------------------------------------------------------------------------------------


def test_lists_page_and_deleted_keys_fall_back() -> None:
    fake = FakeLiteLLM()

    def hook(request: httpx.Request, seq: int) -> httpx.Response:
        p = dict(request.url.params)
        if request.url.path == "/v2/team/list":
            page = int(p["page"])
            assert p["page_size"] == "100"
            return httpx.Response(200, json={"teams": [{"team_id": f"t{page}"}], "total_pages": 3})
        if request.url.path == "/key/list":
            assert p["return_full_object"] == "true" and p["size"] == "100"
            if p.get("status") == "deleted":
                return httpx.Response(422, json={"detail": [{"loc": ["query", "status"], "msg": "bad"}]})
            return httpx.Response(200, json={"keys": [{"token": "h1"}], "total_count": 1, "total_pages": 1})
        assert p["size"] == "500"
        return httpx.Response(200, json={"data": [], "total_count": 0, "total_pages": 0})

    fake.hook = hook
    with make_client(fake) as client:
        assert [t["team_id"] for t in client.list_teams()] == ["t1", "t2", "t3"]
        assert client.list_keys() == [{"token": "h1"}]
        assert client.list_deleted_keys() == []
        assert client.list_models() == []
        assert client.source_is_demo is False
