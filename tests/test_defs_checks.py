"""Checks run over the partition window, and a failing blocking check keeps bad raw data out of the marts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipeline.definitions import defs
from pipeline.defs.resources import LiteLLMResource, WarehouseResource
from pipeline.demo_gateway import DemoGateway, GatewayConfig

pytestmark = pytest.mark.timeout(120)

RAW_DAILY = dg.AssetKey(["raw", "team_daily_activity"])


@pytest.fixture(scope="module")
def gateway() -> Iterator[DemoGateway]:
    with DemoGateway.start(GatewayConfig(days=2, requests_per_day=300, seed=11)) as gw:
        yield gw


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return defs()


def _materialize(
    definitions: dg.Definitions, gw: DemoGateway, db: Path, selection: dg.AssetSelection, partition: str
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*definitions.assets, *definitions.asset_checks],  # type: ignore[list-item]
        selection=selection,
        partition_key=partition,
        resources={
            "litellm": LiteLLMResource(base_url=gw.base_url, api_key=gw.api_key, page_size=25),
            "warehouse": WarehouseResource(path=str(db)),
        },
        raise_on_error=False,
    )


def _warehouse_layers() -> dg.AssetSelection:
    return dg.AssetSelection.groups("raw", "staging", "marts")


def test_checks_pass_on_clean_data_and_a_failing_blocking_check_stops_downstream_models(
    definitions: dg.Definitions, gateway: DemoGateway, tmp_path: Path
) -> None:
    db, day = tmp_path / "w.duckdb", gateway.dataset.first_day.isoformat()
    clean = _materialize(definitions, gateway, db, _warehouse_layers(), day)
    assert clean.success
    evaluations = clean.get_asset_check_evaluations()
    names = {(e.asset_key.to_user_string(), e.check_name) for e in evaluations}
    assert ("raw/team_daily_activity", "page_completeness") in names
    assert ("marts/team_usage_daily", "reconciles_with_litellm_page_totals") in names
    failed = [
        (e.asset_key.to_user_string(), e.check_name, e.description) for e in evaluations if not e.passed
    ]
    assert failed == []
    page_check = next(e for e in evaluations if e.check_name == "page_completeness")
    assert page_check.metadata["window_start"].value == day
    assert page_check.metadata["scopes_checked"].value == len(gateway.dataset.teams) + 1

    with duckdb.connect(str(db)) as conn:
        conn.execute(
            "UPDATE raw.team_daily_activity SET total_pages = total_pages + 1 "
            "WHERE scope = (SELECT min(scope) FROM raw.team_daily_activity)"
        )
        conn.execute("DELETE FROM marts.team_usage_daily")
    page_check_key = dg.AssetCheckKey(RAW_DAILY, "page_completeness")
    selection = dg.AssetSelection.checks(page_check_key) | dg.AssetSelection.groups("staging", "marts")
    result = _materialize(definitions, gateway, db, selection, day)
    assert not result.success
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "page_completeness"]
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    downstream = definitions.resolve_asset_graph().get(RAW_DAILY).child_keys
    assert downstream, "raw/team_daily_activity should feed staging models"
    assert not materialized & downstream
    assert not [key for key in materialized if key.path[0] == "marts"]
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM marts.team_usage_daily").fetchall() == [(0,)]
