"""Raw assets on the demo gateway: row counts, idempotence, single-run ranges, faults, concurrent writers."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipeline.defs.partitions import daily_partitions, range_tags
from pipeline.defs.raw import raw_assets
from pipeline.defs.resources import LiteLLMResource, WarehouseResource
from pipeline.demo_gateway import DemoGateway, FaultConfig, GatewayConfig
from pipeline.litellm.config import LiteLLMConfig
from pipeline.paths import PROJECT_ROOT

pytestmark = pytest.mark.timeout(120)


class FastFailLiteLLM(LiteLLMResource):
    """The real resource with a tiny retry budget, so injected faults fail fast."""

    def config(self) -> LiteLLMConfig:
        return dataclasses.replace(
            super().config(),
            max_attempts=2,
            retry_budget_seconds=3.0,
            backoff_initial_seconds=0.01,
            backoff_max_seconds=0.05,
        )


@pytest.fixture(scope="module")
def gateway() -> Iterator[DemoGateway]:
    with DemoGateway.start(GatewayConfig(days=3, requests_per_day=300, seed=7)) as gw:
        yield gw


@pytest.fixture
def assets() -> list[dg.AssetsDefinition]:
    return raw_assets(daily_partitions(), retry_policy=None)


def _resources(gw: DemoGateway, db: Path) -> dict[str, dg.ConfigurableResource]:
    return {
        "litellm": FastFailLiteLLM(base_url=gw.base_url, api_key=gw.api_key, page_size=20),
        "warehouse": WarehouseResource(path=str(db)),
    }


def _rows(db: Path, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def _truth_requests(gw: DemoGateway, day: date) -> int:
    return int(gw.dataset.daily_rows.filter(pl.col("date") == day.isoformat())["api_requests"].sum())


def _truth_spend_logs(gw: DemoGateway, day: date) -> int:
    return gw.dataset.spend_logs.filter(pl.col("date") == day.isoformat()).height


def _page_requests(db: Path, day: date) -> int:
    sql = """SELECT sum((payload -> 'metadata' ->> 'total_api_requests')::BIGINT)
             FROM raw.team_daily_activity WHERE partition_date = ?"""
    return int(_rows(db, sql, [day])[0][0] or 0)


def _materialize(
    assets: list[dg.AssetsDefinition], gw: DemoGateway, db: Path, **kwargs: object
) -> dg.ExecuteInProcessResult:
    return dg.materialize(assets, resources=_resources(gw, db), **kwargs)  # type: ignore[arg-type]


def test_partition_lands_with_ground_truth_counts_and_metadata(
    gateway: DemoGateway, assets: list[dg.AssetsDefinition], tmp_path: Path
) -> None:
    db, day = tmp_path / "w.duckdb", gateway.dataset.first_day
    result = _materialize(assets, gateway, db, partition_key=day.isoformat())
    assert result.success
    assert _page_requests(db, day) == _truth_requests(gateway, day)
    expected_logs = _truth_spend_logs(gateway, day)
    assert _rows(db, "SELECT count(*), count(DISTINCT request_id) FROM raw.spend_logs") == [
        (expected_logs, expected_logs)
    ]
    teams = len(gateway.dataset.teams)
    assert _rows(db, "SELECT count(DISTINCT scope) FROM raw.team_daily_activity")[0][0] == teams + 1
    assert _rows(db, "SELECT count(*) FROM raw.teams")[0][0] == teams
    assert _rows(db, "SELECT bool_and(is_demo) FROM raw.extract_source")[0][0] is True

    meta = result.asset_materializations_for_node("raw__spend_logs")[0].metadata
    assert meta["dagster/table_name"].value == "raw.spend_logs"
    assert meta["dagster/partition_row_count"].value == expected_logs
    assert meta["dagster/row_count"].value == expected_logs
    daily = result.asset_materializations_for_node("raw__team_daily_activity")[0].metadata
    assert daily["pages_fetched"].value > teams + 1, "page_size=20 should split some scopes into pages"
    assert "|" in daily["preview"].value
    events = " ".join(repr(event) for event in result.all_events)
    assert gateway.api_key not in events


def test_rematerializing_a_partition_is_idempotent(
    gateway: DemoGateway, assets: list[dg.AssetsDefinition], tmp_path: Path
) -> None:
    db, day = tmp_path / "w.duckdb", gateway.dataset.first_day + timedelta(days=1)
    counts_sql = """SELECT (SELECT count(*) FROM raw.team_daily_activity),
                           (SELECT count(*) FROM raw.spend_logs), (SELECT count(*) FROM raw.keys)"""
    assert _materialize(assets, gateway, db, partition_key=day.isoformat()).success
    first = _rows(db, counts_sql)
    second_run = _materialize(assets, gateway, db, partition_key=day.isoformat())
    assert second_run.success
    assert _rows(db, counts_sql) == first
    meta = second_run.asset_materializations_for_node("raw__spend_logs")[0].metadata
    assert meta["rows_replaced"].value == meta["rows"].value == first[0][1]


def test_single_run_backfill_covers_every_day_of_the_range(
    gateway: DemoGateway, assets: list[dg.AssetsDefinition], tmp_path: Path
) -> None:
    db, ds = tmp_path / "w.duckdb", gateway.dataset
    days = [ds.first_day + timedelta(days=i) for i in range(3)]
    result = _materialize(assets, gateway, db, tags=range_tags(days[0].isoformat(), days[-1].isoformat()))
    assert result.success
    materialized = result.asset_materializations_for_node("raw__team_daily_activity")
    assert sorted(m.partition for m in materialized) == [d.isoformat() for d in days]
    per_day = dict(_rows(db, "SELECT partition_date, count(*) FROM raw.spend_logs GROUP BY ALL"))
    assert per_day == {d: _truth_spend_logs(gateway, d) for d in days}
    for d in days:
        assert _page_requests(db, d) == _truth_requests(gateway, d)


@pytest.mark.parametrize(
    "faults",
    [
        FaultConfig(server_error_burst=10_000, paths=("/team/daily/activity",)),
        FaultConfig(truncate_every=1, paths=("/team/daily/activity",)),
    ],
    ids=["persistent-500", "truncated-json"],
)
def test_a_fault_mid_partition_fails_the_run_and_keeps_the_previous_data(
    gateway: DemoGateway, assets: list[dg.AssetsDefinition], tmp_path: Path, faults: FaultConfig
) -> None:
    db, day = tmp_path / "w.duckdb", gateway.dataset.first_day
    daily = [a for a in assets if dg.AssetKey(["raw", "team_daily_activity"]) in a.keys]
    assert _materialize(daily, gateway, db, partition_key=day.isoformat()).success
    before = _rows(db, "SELECT scope, page, run_id, payload_bytes FROM raw.team_daily_activity ORDER BY ALL")
    gateway.faults = faults
    try:
        failed = _materialize(daily, gateway, db, partition_key=day.isoformat(), raise_on_error=False)
    finally:
        gateway.faults = FaultConfig()
    assert not failed.success
    after = _rows(db, "SELECT scope, page, run_id, payload_bytes FROM raw.team_daily_activity ORDER BY ALL")
    assert after == before


CONCURRENT_WRITER = textwrap.dedent(
    """
    import sys
    import dagster as dg
    from pipeline.defs.partitions import daily_partitions
    from pipeline.defs.raw import raw_assets
    from pipeline.defs.resources import LiteLLMResource, WarehouseResource

    base_url, api_key, db, partition = sys.argv[1:5]
    result = dg.materialize(
        raw_assets(daily_partitions(), retry_policy=None),
        resources={"litellm": LiteLLMResource(base_url=base_url, api_key=api_key),
                   "warehouse": WarehouseResource(path=db)},
        partition_key=partition,
        raise_on_error=False,
    )
    sys.exit(0 if result.success else 1)
    """
)


def test_two_processes_writing_the_same_warehouse_both_complete(gateway: DemoGateway, tmp_path: Path) -> None:
    db, ds = tmp_path / "w.duckdb", gateway.dataset
    days = [ds.first_day, ds.first_day + timedelta(days=1)]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CONCURRENT_WRITER,
                gateway.base_url,
                gateway.api_key,
                str(db),
                d.isoformat(),
            ],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for d in days
    ]
    outputs = [proc.communicate(timeout=100)[0] for proc in procs]
    for proc, output in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, output[-3000:]
        assert "Could not set lock" not in output
    per_day = dict(_rows(db, "SELECT partition_date, count(*) FROM raw.spend_logs GROUP BY ALL"))
    assert per_day == {d: _truth_spend_logs(gateway, d) for d in days}
