"""Contract: the demo gateway's daily activity round-trips through LiteLLM 1.110.2's own pydantic models."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from pipeline.demo_gateway import DemoGateway, FaultConfig, GatewayConfig

pytestmark = pytest.mark.contract

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
common = pytest.importorskip("litellm.types.proxy.management_endpoints.common_daily_activity")


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    cfg = GatewayConfig(
        days=4, requests_per_day=400, seed=11, end_day=date(2026, 3, 10), end_day_fraction=0.5
    )
    with DemoGateway.start(cfg) as gw:
        gw.faults = FaultConfig(extra_unknown_fields=False, omit_optional_fields=False)
        with httpx.Client(
            base_url=gw.base_url, headers={"Authorization": f"Bearer {gw.api_key}"}, timeout=10
        ) as c:
            yield c


def _round_trip(body: dict[str, Any]) -> None:
    model = common.SpendAnalyticsPaginatedResponse.model_validate(body)
    assert model.model_dump(mode="json") == body


@pytest.mark.parametrize("page_size", [1, 7, 50, 1000])
def test_daily_pages_round_trip(client: httpx.Client, page_size: int) -> None:
    pages = 0
    for page in (1, 2, 3, 10_000):
        r = client.get(
            "/team/daily/activity",
            params={
                "start_date": "2026-03-06",
                "end_date": "2026-03-10",
                "page": page,
                "page_size": page_size,
            },
        )
        assert r.status_code == 200
        _round_trip(r.json())
        pages += 1
    assert pages == 4


def test_filtered_pages_round_trip(client: httpx.Client) -> None:
    teams = [t["team_id"] for t in client.get("/v2/team/list", params={"page_size": 100}).json()["teams"]]
    for params in (
        {"team_ids": teams[0]},
        {"exclude_team_ids": ",".join(teams)},
        {"model": "unknown-model"},
    ):
        r = client.get(
            "/team/daily/activity",
            params={"start_date": "2026-03-06", "end_date": "2026-03-09", "page_size": 20, **params},
        )
        assert r.status_code == 200 and r.json()["results"]
        _round_trip(r.json())
