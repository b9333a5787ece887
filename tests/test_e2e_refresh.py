"""End to end: `litellm-usage refresh` in demo mode lands the gateway's ground truth and records the run."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipeline import refresh
from pipeline.cli import main
from pipeline.demo_gateway import GatewayConfig
from pipeline.demo_gateway.dataset import build_dataset
from pipeline.orchestration import INSTANCE_HOME_ENV, open_instance
from pipeline.warehouse.connection import write_connection
from pipeline.warehouse.raw_load import record_source

DEMO = GatewayConfig(days=3, requests_per_day=300, seed=5)


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_demo_refresh_lands_the_ground_truth_and_the_run_is_in_the_instance(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, home = tmp_path / "usage.duckdb", tmp_path / "dagster"
    monkeypatch.delenv("LITELLM_BASE_URL", raising=False)
    monkeypatch.delenv("LITELLM_API_KEY", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("LITELLM_USAGE_DB", str(db))
    monkeypatch.setenv(INSTANCE_HOME_ENV, str(home))
    monkeypatch.setattr(refresh, "DEMO_GATEWAY_CONFIG", DEMO)

    assert main(["refresh"]) == 0
    out, err = capsys.readouterr()
    assert "DEMO MODE" in err and str(db) in err
    assert "DEMO data" in out and "top 5 teams by spend" in out

    truth = build_dataset(DEMO)
    expected = (
        truth.daily_rows.group_by("date")
        .agg(pl.col("api_requests").sum(), pl.col("prompt_tokens").sum(), pl.col("spend").sum())
        .sort("date")
    )
    with duckdb.connect(str(db), read_only=True) as conn:
        marts = conn.sql(
            "SELECT strftime(date, '%Y-%m-%d') AS date, sum(api_requests) AS api_requests, "
            "sum(prompt_tokens) AS prompt_tokens, sum(spend) AS spend "
            "FROM marts.team_usage_daily GROUP BY ALL ORDER BY date"
        ).pl()
        logs = conn.execute("SELECT count(*) FROM raw.spend_logs").fetchall()[0][0]
    assert marts["date"].to_list() == expected["date"].to_list()
    assert marts["api_requests"].to_list() == expected["api_requests"].to_list()
    assert marts["prompt_tokens"].to_list() == expected["prompt_tokens"].to_list()
    assert marts["spend"].to_list() == pytest.approx(expected["spend"].to_list(), rel=1e-9)
    assert logs == truth.spend_logs.height
    assert (tmp_path / "usage.marts.duckdb").exists()
    assert (tmp_path / "report.html").exists()

    with open_instance() as instance:
        (run,) = instance.get_runs()
        assert run.job_name == "daily_usage_job"
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert run.tags["dagster/asset_partition_range_start"] == truth.first_day.isoformat()
        assert run.tags["dagster/asset_partition_range_end"] == truth.end_day.isoformat()
        key = dg.AssetKey(["marts", "team_usage_daily"])
        materialized = instance.get_materialized_partitions(key)
        assert truth.first_day.isoformat() in materialized and truth.end_day.isoformat() in materialized


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_failed_refresh_exits_non_zero_naming_the_failed_steps(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "real.duckdb"
    with write_connection(db) as conn:
        record_source(conn, "https://llm.example.com", False, datetime.now(UTC))
    monkeypatch.delenv("LITELLM_BASE_URL", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.setenv("LITELLM_USAGE_DB", str(db))
    monkeypatch.setenv(INSTANCE_HOME_ENV, str(tmp_path / "dagster"))
    monkeypatch.setattr(refresh, "DEMO_GATEWAY_CONFIG", GatewayConfig(days=1, requests_per_day=50))

    assert main(["refresh"]) == 1
    err = capsys.readouterr().err
    (failure,) = [line for line in err.splitlines() if line.startswith("litellm-usage refresh: run ")]
    assert "raw__team_daily_activity" in failure and "raw__spend_logs" in failure
    assert "demo data never mixes with real data" in failure
    assert "Traceback" not in err
