"""The demo gateway over real HTTP: LiteLLM semantics, ground truth, faults and clean shutdown."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import polars as pl
import pytest

from pipeline.demo_gateway import DEMO_API_KEY, DemoGateway, FaultConfig, GatewayConfig
from tests.samples import SAMPLES_DIR

END_DAY = date(2026, 3, 10)
CONFIG = GatewayConfig(days=7, requests_per_day=600, seed=7, end_day=END_DAY, end_day_fraction=0.5)


@pytest.fixture(scope="module")
def gw() -> Iterator[DemoGateway]:
    with DemoGateway.start(CONFIG) as gateway:
        yield gateway


@pytest.fixture
def client(gw: DemoGateway) -> Iterator[httpx.Client]:
    gw.faults = FaultConfig()
    with httpx.Client(
        base_url=gw.base_url, headers={"Authorization": f"Bearer {gw.api_key}"}, timeout=10
    ) as c:
        yield c
    gw.faults = FaultConfig()


def _daily(client: httpx.Client, start: date | str, end: date | str, **params: Any) -> dict[str, Any]:
    r = client.get("/team/daily/activity", params={"start_date": str(start), "end_date": str(end), **params})
    assert r.status_code == 200, r.text
    return r.json()


def _crawl(
    client: httpx.Client, start: date, end: date, page_size: int, **params: Any
) -> list[dict[str, Any]]:
    pages, page = [], 1
    while True:
        body = _daily(client, start, end, page=page, page_size=page_size, **params)
        pages.append(body)
        if not body["metadata"]["has_more"]:
            return pages
        page += 1


def _sum_by_date(pages: list[dict[str, Any]]) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = defaultdict(float)
    for body in pages:
        for day in body["results"]:
            for field in (
                "spend",
                "api_requests",
                "failed_requests",
                "prompt_tokens",
                "cache_read_input_tokens",
            ):
                out[(day["date"], field)] += day["metrics"][field]
            for team, bucket in day["breakdown"]["entities"].items():
                out[(day["date"], f"team:{team}")] += bucket["metrics"]["api_requests"]
    return dict(out)


def test_dataset_days_and_demo_header(gw: DemoGateway, client: httpx.Client) -> None:
    ds = gw.dataset
    assert (ds.first_day, ds.last_day, ds.end_day) == (
        END_DAY - timedelta(days=7),
        END_DAY - timedelta(1),
        END_DAY,
    )
    dates = set(ds.daily_rows["date"].unique())
    assert dates == {str(ds.first_day + timedelta(days=i)) for i in range(8)}
    today = ds.spend_logs.filter(pl.col("date") == str(END_DAY))
    assert today.height > 0
    assert today["start_time"].max() < datetime(2026, 3, 10, 12, tzinfo=UTC)
    for response in (client.get("/v2/team/list"), client.get("/nope"), httpx.get(gw.base_url + "/key/list")):
        assert response.headers["x-litellm-usage-demo"] == "1"
    assert DEMO_API_KEY not in repr(gw)


def test_synthetic_shape(gw: DemoGateway) -> None:
    ds = gw.dataset
    logs = ds.spend_logs
    assert 0.02 < logs["failed"].mean() < 0.06
    assert logs.filter(pl.col("failed"))["spend"].sum() == 0
    assert logs.filter(pl.col("cache_read_input_tokens") > 0).height > 0
    assert set(logs["custom_llm_provider"].unique()) >= {"openai", "anthropic", "azure", "bedrock"}
    assert logs["request_id"].n_unique() == logs.height
    hourly = logs.group_by(pl.col("start_time").dt.hour()).len()
    assert hourly["len"].max() > 3 * hourly["len"].min()
    daily = ds.daily_rows
    assert set(daily["team_id"].unique()) >= {"", *ds.deleted_team_ids}
    listed = {t["team_id"] for t in ds.teams}
    assert not listed & set(ds.deleted_team_ids)
    assert len(ds.keys) + len(ds.deleted_keys) >= 12 and len(ds.deleted_keys) == 1
    assert len(ds.models) == 8


def test_ground_truth_matches_served_totals(gw: DemoGateway, client: httpx.Client) -> None:
    ds = gw.dataset
    body = _daily(client, ds.first_day, ds.last_day, page_size=100_000)
    assert body["metadata"]["total_pages"] == 1
    closed = ds.spend_logs.filter(pl.col("date") <= str(ds.last_day))
    rows = ds.daily_rows.filter(pl.col("date") <= str(ds.last_day))
    assert body["metadata"]["total_api_requests"] == closed.height == rows["api_requests"].sum()
    assert body["metadata"]["total_failed_requests"] == closed["failed"].sum()
    assert body["metadata"]["total_spend"] == pytest.approx(closed["spend"].sum(), rel=1e-9)
    by_date = dict(closed.group_by("date").agg(pl.col("spend").sum()).iter_rows())
    for day in body["results"]:
        assert day["metrics"]["spend"] == pytest.approx(by_date[day["date"]], rel=1e-9)
        team_reqs = closed.filter(pl.col("date") == day["date"]).group_by("team_id").len()
        served = {t: b["metrics"]["api_requests"] for t, b in day["breakdown"]["entities"].items()}
        assert served == {(t or "Unassigned"): n for t, n in team_reqs.iter_rows()}


def test_pagination_slices_rows_not_days(gw: DemoGateway, client: httpx.Client) -> None:
    ds = gw.dataset
    start, end = ds.last_day - timedelta(days=1), ds.last_day
    count = ds.daily_rows.filter(pl.col("date").is_between(pl.lit(str(start)), pl.lit(str(end)))).height
    big = _daily(client, start, end, page_size=10_000)
    pages = _crawl(client, start, end, page_size=7)
    assert len(pages) == pages[0]["metadata"]["total_pages"] == -(-count // 7)
    assert [p["metadata"]["page"] for p in pages] == list(range(1, len(pages) + 1))
    dates_per_page = [[d["date"] for d in p["results"]] for p in pages]
    assert any(a[-1] == b[0] for a, b in itertools.pairwise(dates_per_page))
    for p in pages:
        assert sum(len(d["breakdown"]["api_keys"]) > 0 for d in p["results"]) == len(p["results"])
        page_reqs = sum(d["metrics"]["api_requests"] for d in p["results"])
        assert p["metadata"]["total_api_requests"] == page_reqs
        assert p["metadata"]["total_spend"] == pytest.approx(sum(d["metrics"]["spend"] for d in p["results"]))
    small, large = _sum_by_date(pages), _sum_by_date([big])
    assert small.keys() == large.keys()
    for k, v in large.items():
        assert small[k] == pytest.approx(v, rel=1e-9)
    past = _daily(client, start, end, page=len(pages) + 1, page_size=7)
    assert past["results"] == []
    assert past["metadata"]["page"] == len(pages) + 1
    assert past["metadata"]["total_pages"] == len(pages)
    assert past["metadata"]["has_more"] is False and past["metadata"]["total_spend"] == 0


def test_daily_filters(gw: DemoGateway, client: httpx.Client) -> None:
    ds = gw.dataset
    day = ds.last_day - timedelta(days=5)
    teams = [t["team_id"] for t in ds.teams]
    one = _daily(client, day, day, team_ids=teams[0], page_size=1000)
    assert {e for d in one["results"] for e in d["breakdown"]["entities"]} == {teams[0]}
    rest = _daily(client, day, day, exclude_team_ids=",".join(teams), page_size=1000)
    entities = {e: b for d in rest["results"] for e, b in d["breakdown"]["entities"].items()}
    assert set(entities) == {"Unassigned", "demo-team-legacy"}
    assert entities["demo-team-legacy"]["metadata"] == {}
    assert entities["Unassigned"]["metadata"] == {}
    model = _daily(client, day, day, model="gpt-4o-mini", page_size=1000)
    assert {m for d in model["results"] for m in d["breakdown"]["models"]} == {"gpt-4o-mini"}
    mcp = _daily(client, day, day, model="unknown-model", page_size=1000)
    assert {m for d in mcp["results"] for m in d["breakdown"]["models"]} == {"unknown-model"}
    assert {m for d in mcp["results"] for m in d["breakdown"]["model_groups"]} == {"unknown-model-group"}
    assert {p for d in mcp["results"] for p in d["breakdown"]["providers"]} == {"unknown"}
    assert all(d["breakdown"]["mcp_servers"] for d in mcp["results"])
    key = ds.keys[0]["token"]
    keyed = _daily(client, day, day, api_key=key, page_size=1000)
    assert {k for d in keyed["results"] for k in d["breakdown"]["api_keys"]} == {key}
    old = _daily(client, ds.first_day, ds.first_day, page_size=1000)
    deleted = ds.deleted_keys[0]["token"]
    meta = old["results"][0]["breakdown"]["api_keys"][deleted]["metadata"]
    assert meta["key_exists"] is False and meta["key_alias"] == ds.deleted_keys[0]["key_alias"]
    alive = old["results"][0]["breakdown"]["api_keys"][key]["metadata"]
    assert list(alive) == ["key_alias", "team_id", "user_id", "user_email", "key_exists"]
    assert alive["key_exists"] is True


@pytest.mark.parametrize(
    ("params", "status", "detail"),
    [
        ({}, 400, {"error": "Please provide start_date and end_date"}),
        (
            {"start_date": "2026-3-2", "end_date": "2026-03-03"},
            400,
            {"error": "start_date and end_date must be valid YYYY-MM-DD dates"},
        ),
        (
            {"start_date": "20260302", "end_date": "2026-03-03"},
            400,
            {"error": "start_date and end_date must be valid YYYY-MM-DD dates"},
        ),
        (
            {"start_date": "2026-03-04", "end_date": "2026-03-03"},
            400,
            {"error": "end_date must be on or after start_date"},
        ),
        (
            {"start_date": "2026-03-02", "end_date": "2026-03-03", "page": "0"},
            400,
            "page and page_size must be >= 1, got page=0, page_size=10",
        ),
    ],
)
def test_daily_errors(client: httpx.Client, params: dict[str, str], status: int, detail: object) -> None:
    r = client.get("/team/daily/activity", params=params)
    assert r.status_code == status
    assert r.json() == {"detail": detail}


def test_auth(gw: DemoGateway) -> None:
    url = gw.base_url + "/v2/team/list"

    def err(headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        r = httpx.get(url, headers=headers, timeout=5)
        return r.status_code, r.json()

    def shape(message: str) -> dict[str, Any]:
        return {"error": {"message": message, "type": "auth_error", "param": None, "code": "401"}}

    assert err({}) == (401, shape("Authentication Error, No api key passed in."))
    assert err({"Authorization": gw.api_key}) == (
        401,
        shape("Authentication Error, Malformed API Key passed in. Ensure Key has `Bearer ` prefix."),
    )
    assert err({"Authorization": "Bearer sk-wrong"}) == (
        401,
        shape("Authentication Error, Invalid proxy server token passed"),
    )
    assert httpx.get(url, headers={"x-litellm-api-key": gw.api_key}).status_code == 200
    assert httpx.get(url, headers={"x-litellm-api-key": f"Bearer {gw.api_key}"}).status_code == 200


def _logs(client: httpx.Client, start: str, end: str, **params: Any) -> httpx.Response:
    return client.get("/spend/logs/v2", params={"start_date": start, "end_date": end, **params})


def test_spend_logs_window_inclusive_at_second_precision(gw: DemoGateway, client: httpx.Client) -> None:
    logs = gw.dataset.spend_logs
    row = logs.filter(pl.col("start_time").dt.millisecond() > 0).row(100, named=True)
    second = row["start_time"].replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S")
    hit = _logs(client, second, second, page_size=1000).json()
    assert row["request_id"] not in {d["request_id"] for d in hit["data"]}
    start = (row["start_time"] - timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M:%S")
    body = _logs(client, start, second, page_size=1000, sort_order="asc").json()
    assert row["request_id"] not in {d["request_id"] for d in body["data"]}
    after = (row["start_time"].replace(microsecond=0) + timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")
    body = _logs(client, second, after, page_size=1000).json()
    assert row["request_id"] in {d["request_id"] for d in body["data"]}
    lo = datetime.strptime(start, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    hi = datetime.strptime(after, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    expected = logs.filter(pl.col("start_time").is_between(lo, hi))
    full = _logs(client, start, after, page_size=1000, sort_order="asc").json()
    assert full["total"] == expected.height and full["total_is_capped"] is False
    assert sorted(d["request_id"] for d in full["data"]) == sorted(expected["request_id"])
    times = [d["startTime"] for d in full["data"]]
    assert times == sorted(times)


def test_spend_log_row_shape_and_filters(gw: DemoGateway, client: httpx.Client) -> None:
    ds = gw.dataset
    sample = json.loads((SAMPLES_DIR / "spend_logs_v2_page1.json").read_text())
    old = _logs(client, str(ds.first_day), f"{ds.first_day} 23:59:59", page_size=1000).json()
    new = _logs(client, str(ds.last_day), f"{ds.last_day} 23:59:59", page_size=1000).json()
    assert list(old) == list(sample)
    row = old["data"][0]
    assert list(row) == list(sample["data"][0])
    assert list(row["metadata"]) == list(sample["data"][0]["metadata"])
    assert row["startTime"].endswith("+00:00") and len(row["startTime"]) == len(
        "2026-03-03T14:05:11.123+00:00"
    )
    assert {r["cache_hit"] for r in new["data"]} <= {"True", "False"}
    assert any(r["status"] is None for r in old["data"]) and all(r["status"] for r in new["data"])
    assert isinstance(old["data"][0]["request_tags"], str) and isinstance(
        new["data"][0]["request_tags"], list
    )
    failures = [r for r in new["data"] if r["status"] == "failure"]
    assert failures and all(r["spend"] == 0 and r["metadata"]["error_information"] for r in failures)
    team = ds.teams[1]["team_id"]
    window = (str(ds.last_day), f"{ds.last_day} 23:59:59")
    only = _logs(client, *window, team_id=team, page_size=1000).json()
    assert only["data"] and {r["team_id"] for r in only["data"]} == {team}
    ok = _logs(client, str(ds.first_day), f"{ds.first_day} 23:59:59", status_filter="success", page_size=1000)
    assert {r["status"] for r in ok.json()["data"]} <= {"success", None}
    for param, value in (
        ("model", "gpt-4o"),
        ("model_group", "claude-sonnet-4"),
        ("api_key", ds.keys[0]["token"]),
    ):
        got = _logs(client, *window, page_size=1000, **{param: value}).json()["data"]
        assert got and {r[param] for r in got} == {value}


def test_spend_log_errors(client: httpx.Client) -> None:
    r = _logs(client, "2026-03-01", "2026-03-02", page_size=1001)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "page_size"]
    assert _logs(client, "2026-03-01", "2026-03-02", page=0).status_code == 422
    r = client.get("/spend/logs/v2")
    assert r.status_code == 400 and r.json()["error"]["message"] == "Start date and end date are required"
    r = _logs(client, "2026/03/01", "2026-03-02")
    assert r.status_code == 400 and r.json()["error"]["code"] == "400"
    r = _logs(client, "2026-03-01", "2026-03-02", sort_by="bogus")
    assert r.status_code == 400 and r.json()["error"]["param"] == "sort_by"


def test_spend_log_ties_have_no_stable_order(gw: DemoGateway, client: httpx.Client) -> None:
    logs = gw.dataset.spend_logs
    tied = logs.group_by("start_ms").len().filter(pl.col("len") > 1).sort("start_ms").row(0, named=True)
    second = datetime.fromtimestamp(tied["start_ms"] // 1000, UTC)
    lo, hi = (t.strftime("%Y-%m-%d %H:%M:%S") for t in (second, second + timedelta(seconds=1)))
    expected = set(logs.filter(pl.col("start_ms") == tied["start_ms"])["request_id"])
    orders = set()
    for _ in range(12):
        rows = _logs(client, lo, hi, page_size=100, sort_order="asc").json()["data"]
        orders.add(tuple(d["request_id"] for d in rows if d["request_id"] in expected))
    assert all(set(o) == expected for o in orders)
    assert len(orders) > 1


def test_spend_log_count_cap() -> None:
    assert GatewayConfig().spend_logs_count_cap == 10_000
    cfg = GatewayConfig(days=2, requests_per_day=200, seed=3, end_day=END_DAY, spend_logs_count_cap=50)
    with DemoGateway.start(cfg) as gw, httpx.Client(base_url=gw.base_url, timeout=10) as c:
        c.headers["Authorization"] = f"Bearer {gw.api_key}"
        ds = gw.dataset
        start, end = str(ds.first_day), f"{ds.last_day} 23:59:59"
        bound = datetime.fromisoformat(f"{ds.last_day}T23:59:59+00:00")
        expected = set(ds.spend_logs.filter(pl.col("start_time") <= bound)["request_id"])
        n = len(expected)
        assert n > 100
        assert ds.spend_logs.filter(pl.col("date") <= str(ds.last_day)).height == n + 1, "row at 23:59:59.750"
        first = _logs(c, start, end, page_size=20, sort_order="asc").json()
        assert (first["total"], first["total_pages"], first["total_is_capped"]) == (50, 3, True)
        seen: list[str] = []
        page = 1
        while rows := _logs(c, start, end, page_size=20, page=page, sort_order="asc").json()["data"]:
            seen += [r["request_id"] for r in rows]
            page += 1
        assert page - 1 > first["total_pages"]
        assert set(seen) == expected


def test_lists(gw: DemoGateway, client: httpx.Client) -> None:
    ds = gw.dataset
    teams = client.get("/v2/team/list", params={"page_size": 100}).json()
    assert teams["teams"] == ds.teams and teams["total"] == len(ds.teams)
    assert client.get("/v2/team/list", params={"page_size": 101}).status_code == 422
    two = client.get("/v2/team/list", params={"page_size": 2, "page": 2}).json()
    assert [t["team_id"] for t in two["teams"]] == [t["team_id"] for t in ds.teams[2:4]]
    keys = client.get("/key/list", params={"size": 100}).json()
    assert keys["keys"] == [k["token"] for k in ds.keys] and keys["total_count"] == len(ds.keys)
    full = client.get("/key/list", params={"size": 100, "return_full_object": "true"}).json()
    assert full["keys"] == ds.keys and all(k["token"] and "key_alias" in k for k in full["keys"])
    deleted = client.get("/key/list", params={"status": "deleted", "return_full_object": "true"}).json()
    assert [k["token"] for k in deleted["keys"]] == [k["token"] for k in ds.deleted_keys]
    assert not {k["token"] for k in ds.deleted_keys} & set(keys["keys"])
    assert client.get("/key/list", params={"size": 0}).status_code == 422
    models = client.get("/v2/model/info", params={"size": 3}).json()
    assert models["total_count"] == 8 and models["total_pages"] == 3 and len(models["data"]) == 3
    info = models["data"][0]["model_info"]
    for field in (
        "id",
        "litellm_provider",
        "input_cost_per_token",
        "output_cost_per_token",
        "cache_read_input_token_cost",
        "cache_creation_input_token_cost",
    ):
        assert field in info
    first = ds.spend_logs.filter(pl.col("model_group") == models["data"][0]["model_name"])["model"][0]
    assert models["data"][0]["litellm_params"]["model"].endswith("/" + first)


def test_fault_rate_limit_and_burst(gw: DemoGateway, client: httpx.Client) -> None:
    gw.faults = FaultConfig(rate_limit_every=2, retry_after_s=0.1)
    statuses = [client.get("/v2/model/info") for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 429, 200, 429]
    assert statuses[1].headers["retry-after"] == "0.1"
    assert statuses[1].json()["error"]["code"] == "429"
    gw.faults = FaultConfig(server_error_burst=4)
    assert [client.get("/v2/model/info").status_code for _ in range(5)] == [500, 502, 503, 500, 200]
    gw.faults = FaultConfig(rate_limit_every=2, paths=("/spend/logs/v2",))
    assert [client.get("/v2/model/info").status_code for _ in range(3)] == [200, 200, 200]


def test_fault_drop_truncate_slow(gw: DemoGateway, client: httpx.Client) -> None:
    gw.faults = FaultConfig(drop_every=1)
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/v2/model/info")
    gw.faults = FaultConfig(truncate_every=1)
    r = client.get("/v2/model/info")
    assert r.status_code == 200 and int(r.headers["content-length"]) == len(r.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)
    gw.faults = FaultConfig(slow_every=1, slow_seconds=0.6)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/v2/model/info", timeout=0.2)
    gw.faults = FaultConfig()
    assert client.get("/v2/model/info").status_code == 200


def test_fault_field_shapes(gw: DemoGateway, client: httpx.Client) -> None:
    ds = gw.dataset
    gw.faults = FaultConfig(omit_optional_fields=True)
    body = _daily(client, ds.last_day, ds.last_day, page_size=5)
    day = body["results"][0]
    assert "flat_cost" not in day["metrics"] and "spend" in day["metrics"]
    assert set(day["breakdown"]) == {"models", "providers", "api_keys", "entities"}
    assert "api_key_limit" not in body["metadata"] and "has_more" in body["metadata"]
    row = _logs(client, str(ds.last_day), f"{ds.last_day} 01:00:00").json()["data"][0]
    assert "litellm_call_id" not in row and "request_id" in row
    gw.faults = FaultConfig(extra_unknown_fields=True)
    body = _daily(client, ds.last_day, ds.last_day, page_size=5)
    day = body["results"][0]
    for obj in (body, body["metadata"], day, day["metrics"], day["breakdown"]):
        assert "x_demo_unknown_field" in obj
    logs = _logs(client, str(ds.last_day), f"{ds.last_day} 01:00:00").json()
    assert "x_demo_unknown_field" in logs and "x_demo_unknown_field" in logs["data"][0]["metadata"]


def test_fault_grow_today_shifts_pages() -> None:
    cfg = GatewayConfig(days=2, requests_per_day=200, seed=5, end_day=END_DAY, end_day_fraction=0.5)
    with DemoGateway.start(cfg) as gw, httpx.Client(base_url=gw.base_url, timeout=10) as c:
        c.headers["Authorization"] = f"Bearer {gw.api_key}"
        before = gw.dataset.daily_rows.height
        closed = _daily(c, gw.dataset.last_day, gw.dataset.last_day, page_size=5)["metadata"]["total_pages"]
        gw.faults = FaultConfig(grow_today_between_pages=True)
        counts = [_daily(c, END_DAY, END_DAY, page=p, page_size=5)["metadata"]["total_pages"] for p in (1, 2)]
        after_closed = _daily(c, gw.dataset.last_day, gw.dataset.last_day, page_size=5)["metadata"][
            "total_pages"
        ]
        assert gw.dataset.daily_rows.height == before + 2
        assert after_closed == closed
        today = gw.dataset.daily_rows.filter(pl.col("date") == str(END_DAY)).height
        assert -(-today // 5) >= counts[1] >= counts[0]
        body = _daily(c, END_DAY, END_DAY, page_size=10_000)
        assert (
            body["metadata"]["total_api_requests"]
            == gw.dataset.daily_rows.filter(pl.col("date") == str(END_DAY))["api_requests"].sum()
        )


def test_prerendered_mode_serves_identical_bytes(gw: DemoGateway, client: httpx.Client) -> None:
    cfg = GatewayConfig(
        **{**{f: getattr(CONFIG, f) for f in CONFIG.__dataclass_fields__}, "prerendered": True}
    )
    ds = gw.dataset
    with DemoGateway.start(cfg) as pre, httpx.Client(base_url=pre.base_url, timeout=10) as c:
        c.headers["Authorization"] = f"Bearer {pre.api_key}"
        for _ in range(2):
            a = c.get(
                "/team/daily/activity",
                params={
                    "start_date": str(ds.first_day),
                    "end_date": str(ds.last_day),
                    "page_size": 50,
                    "page": 2,
                },
            )
            b = client.get(
                "/team/daily/activity",
                params={
                    "start_date": str(ds.first_day),
                    "end_date": str(ds.last_day),
                    "page_size": 50,
                    "page": 2,
                },
            )
            assert a.content == b.content
        params = {
            "start_date": str(ds.last_day),
            "end_date": f"{ds.last_day} 03:00:00",
            "sort_order": "asc",
            "page_size": 1000,
        }
        assert (
            c.get("/spend/logs/v2", params=params).json()
            == client.get("/spend/logs/v2", params=params).json()
        )


def test_page_latency_does_not_serialise_requests() -> None:
    cfg = GatewayConfig(days=1, requests_per_day=50, end_day=END_DAY, page_latency_ms=400)
    with DemoGateway.start(cfg) as gw:

        def get(_: int) -> int:
            return httpx.get(
                gw.base_url + "/v2/model/info", headers={"x-litellm-api-key": gw.api_key}
            ).status_code

        t0 = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            assert list(pool.map(get, range(4))) == [200] * 4
        elapsed = time.perf_counter() - t0
    assert 0.4 <= elapsed < 1.5


def test_stop_is_clean() -> None:
    baseline = threading.active_count()
    gw = DemoGateway.start(GatewayConfig(days=1, requests_per_day=50, end_day=END_DAY))
    keepalive = httpx.Client(base_url=gw.base_url, headers={"x-litellm-api-key": gw.api_key}, timeout=5)
    assert keepalive.get("/v2/model/info").status_code == 200
    gw.faults = FaultConfig(slow_every=1, slow_seconds=30)
    errors: list[BaseException] = []

    def hang() -> None:
        try:
            keepalive.get("/key/list")
        except httpx.HTTPError as exc:
            errors.append(exc)

    slow = threading.Thread(target=hang)
    slow.start()
    time.sleep(0.2)
    t0 = time.perf_counter()
    gw.stop()
    gw.stop()
    assert time.perf_counter() - t0 < 3
    slow.join(5)
    assert errors
    keepalive.close()
    assert threading.active_count() == baseline
    with pytest.raises(httpx.ConnectError):
        httpx.get(gw.base_url + "/v2/model/info", timeout=1)


def test_cli_serves_until_interrupted() -> None:
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from pipeline.cli import main; raise SystemExit(main())",
            "demo-gateway",
            "--days",
            "2",
            "--requests-per-day",
            "100",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        assert "DEMO" in lines[0] and "synthetic" in lines[0]
        env = dict(
            line.removeprefix("export ").strip().split("=", 1) for line in lines if line.startswith("export")
        )
        r = httpx.get(
            env["LITELLM_BASE_URL"] + "/v2/team/list",
            headers={"Authorization": f"Bearer {env['LITELLM_API_KEY']}"},
            timeout=5,
        )
        assert r.status_code == 200 and r.headers["x-litellm-usage-demo"] == "1"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
