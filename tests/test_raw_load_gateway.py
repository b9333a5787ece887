"""End to end: the real client against the demo gateway, spooled and landed in raw.*."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import polars as pl
import pytest

from pipeline.demo_gateway import DemoGateway, GatewayConfig
from pipeline.litellm.client import LiteLLMClient
from pipeline.litellm.config import LiteLLMConfig
from pipeline.warehouse.connection import write_connection
from pipeline.warehouse.raw_load import ExtractSource, load_daily_activity, load_spend_logs
from pipeline.warehouse.spool import spool_daily_activity, spool_directory, spool_spend_logs

END_DAY = date(2026, 3, 10)


@pytest.mark.slow
def test_client_pages_land_in_raw_matching_the_gateway_ground_truth(tmp_path: Path) -> None:
    cfg = GatewayConfig(days=3, requests_per_day=400, seed=7, end_day=END_DAY)
    db = tmp_path / "w.duckdb"
    with DemoGateway.start(cfg) as gw:
        ds = gw.dataset
        days = [ds.first_day + timedelta(days=i) for i in range((ds.last_day - ds.first_day).days + 1)]
        config = LiteLLMConfig(base_url=gw.base_url, api_key=gw.api_key, spend_logs_page_size=100)
        start = datetime.combine(days[0], time(), tzinfo=UTC)
        end = datetime.combine(days[-1] + timedelta(days=1), time(), tzinfo=UTC)
        with (
            LiteLLMClient(config) as client,
            spool_directory(tmp_path) as s1,
            spool_directory(tmp_path) as s2,
        ):
            scopes = client.daily_scopes(str(t["team_id"]) for t in client.list_teams())
            daily = spool_daily_activity(client.iter_daily_activity(days, scopes), s1)
            spend = spool_spend_logs(client.iter_spend_logs(start, end), s2)
            source = ExtractSource(gw.base_url, client.source_is_demo)
            assert source.is_demo
            now = datetime.now(UTC)
            with write_connection(db) as conn:
                daily_result = load_daily_activity(conn, daily, days, "e2e", now, source=source)
                spend_result = load_spend_logs(conn, spend, days, "e2e", now, source=source)
                landed = conn.sql("SELECT request_id, partition_date FROM raw.spend_logs").pl()
                pages = conn.execute(
                    "SELECT count(*), sum(payload_bytes), count(DISTINCT (partition_date, scope)) "
                    "FROM raw.team_daily_activity"
                ).fetchone()
                rows_in_pages = conn.execute(
                    "SELECT sum((payload -> 'metadata' ->> 'total_api_requests')::BIGINT) "
                    "FROM raw.team_daily_activity"
                ).fetchone()
    truth = ds.spend_logs.filter(
        pl.col("start_time").dt.convert_time_zone("UTC").dt.date().is_between(days[0], days[-1])
    )
    assert spend_result.rows_inserted == truth.height == landed.height
    assert set(landed["request_id"]) == set(truth["request_id"])
    start_times = ds.spend_logs["start_time"].dt.convert_time_zone("UTC")
    at_next_midnight = ds.spend_logs.filter(
        (start_times >= end) & (start_times < end + timedelta(seconds=1))
    ).height
    assert spend_result.out_of_range_dropped == at_next_midnight, at_next_midnight
    assert pages == (daily.pages, daily.bytes, len(days) * len(scopes))
    assert daily_result.rows_inserted == daily.pages
    truth_daily = ds.daily_rows.filter(pl.col("date").cast(pl.Utf8).is_in([d.isoformat() for d in days]))
    assert rows_in_pages == (truth_daily["api_requests"].sum(),)
