"""Hand-computed expectations for every SQL model over small seeded warehouses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import duckdb
import pytest

from pipeline.warehouse.models import build_all
from tests import sqlseed
from tests.sqlseed import D1, D2, table_rows


@pytest.fixture(scope="module")
def small() -> Iterator[duckdb.DuckDBPyConnection]:
    conn = sqlseed.connect()
    sqlseed.seed_small(conn)
    build_all(conn)
    yield conn
    conn.close()


def by(rows: list[dict], *keys: str) -> dict[tuple, dict]:
    return {tuple(r[k] for k in keys): r for r in rows}


def test_split_date_pages_are_summed_from_litellm_samples() -> None:
    conn = sqlseed.connect()
    pages = [sqlseed.load_sample(f"team_daily_activity_page{n}_size5.json") for n in (1, 2)]
    sqlseed.insert_pages(conn, D1, "unassigned", pages)
    build_all(conn)
    day = table_rows(
        conn,
        "SELECT sum(spend) AS spend, sum(api_requests) AS api_requests, sum(successful_requests) AS ok, "
        "sum(prompt_tokens) AS prompt_tokens, count(*) AS n FROM staging.daily_activity WHERE date = ?",
        [D1],
    )[0]
    assert day["spend"] == pytest.approx(3.35, rel=1e-12)
    assert day["api_requests"] == 190
    assert day["ok"] == 189
    assert day["n"] == 4
    assert table_rows(conn, "SELECT DISTINCT date FROM staging.daily_activity") == [{"date": D1}]
    teams = by(table_rows(conn, "SELECT * FROM marts.team_usage_daily"), "team_id")
    assert teams[("team-eng",)]["spend"] == pytest.approx(2.8)
    assert teams[("team-eng",)]["api_requests"] == 160
    assert teams[("team-eng",)]["team_alias"] == "Engineering"
    assert teams[("team-data",)]["spend"] == pytest.approx(0.55)

    single = sqlseed.connect()
    sqlseed.insert_pages(
        single, D1, "unassigned", [sqlseed.load_sample("team_daily_activity_page1_size10.json")]
    )
    build_all(single)
    query = "SELECT * EXCLUDE (spend), round(spend, 9) AS spend FROM staging.daily_activity ORDER BY ALL"
    assert table_rows(single, query) == table_rows(conn, query)


def test_daily_activity_grain_and_team_attribution(small: duckdb.DuckDBPyConnection) -> None:
    rows = by(
        table_rows(small, "SELECT * FROM staging.daily_activity"), "date", "team_id", "model", "api_key"
    )
    assert set(rows) == {
        (D1, "team-eng", "gpt-4o", "k-eng"),
        (D1, "team-eng", "claude-sonnet-4-20250514", "k-eng"),
        (D1, "team-data", "gpt-4o", "k-data"),
        (D1, "team-gone", "mystery-model", "k-old"),
        (D1, "Unassigned", "gpt-4o", "k-none"),
        (D2, "team-eng", "gpt-4o", "k-eng"),
        (D2, "team-data", "claude-sonnet-4-20250514", "k-data"),
    }
    eng = rows[(D1, "team-eng", "gpt-4o", "k-eng")]
    assert (eng["spend"], eng["prompt_tokens"], eng["completion_tokens"]) == (1.0, 200_000, 80_000)
    assert (eng["cache_read_input_tokens"], eng["total_tokens"], eng["api_requests"]) == (
        40_000,
        280_000,
        100,
    )
    assert eng["key_alias"] == "eng-backend"
    gone = rows[(D1, "team-gone", "mystery-model", "k-old")]
    assert (gone["api_requests"], gone["failed_requests"], gone["key_team_id"]) == (6, 1, "team-gone")


def test_page_metadata_and_breakdown_tables(small: duckdb.DuckDBPyConnection) -> None:
    pages = table_rows(
        small, "SELECT * FROM staging.daily_activity_pages WHERE date = ? ORDER BY scope, page", [D1]
    )
    assert [(p["scope"], p["page"], p["total_pages"]) for p in pages] == [
        ("team:team-data", 1, 1),
        ("team:team-eng", 1, 2),
        ("team:team-eng", 2, 2),
        ("unassigned", 1, 2),
        ("unassigned", 2, 2),
    ]
    assert sum(p["total_spend"] for p in pages) == pytest.approx(3.65)
    assert sum(p["total_api_requests"] for p in pages) == 189
    assert all(p["off_partition_results"] == 0 for p in pages)
    groups = by(
        table_rows(small, "SELECT * FROM staging.daily_model_group_activity"),
        "date",
        "team_id",
        "model_group",
    )
    assert groups[(D1, "team-eng", "claude-sonnet-4")]["spend"] == pytest.approx(1.8)
    assert groups[(D1, "team-gone", "mystery")]["api_requests"] == 6
    providers = by(
        table_rows(small, "SELECT * FROM staging.daily_provider_activity"), "date", "team_id", "provider"
    )
    assert providers[(D1, "team-eng", "openai")]["spend"] == pytest.approx(1.0)
    assert providers[(D1, "Unassigned", "openai")]["api_requests"] == 3
    entities = by(table_rows(small, "SELECT * FROM staging.daily_team_entities"), "date", "team_id")
    assert entities[(D1, "team-gone")]["team_alias"] == "Gone Team"
    assert entities[(D1, "Unassigned")]["spend"] == pytest.approx(0.1)


def test_spend_logs_typed_and_deduplicated(small: duckdb.DuckDBPyConnection) -> None:
    raw_rows = table_rows(small, "SELECT count(*) AS n FROM raw.spend_logs")[0]["n"]
    assert raw_rows == 6
    logs = by(table_rows(small, "SELECT * FROM staging.spend_logs"), "request_id")
    assert set(logs) == {("r1",), ("r2",), ("r3",), ("r4",), ("r5",)}
    r1, r2, r3, r4, r5 = (logs[(f"r{i}",)] for i in range(1, 6))
    assert r1["spend"] == 0.55
    assert r1["request_tags"] == ["prod", "checkout"]
    assert r2["request_tags"] == ["prod"]
    assert r5["request_tags"] == []
    assert (r1["cache_hit"], r2["cache_hit"], r3["cache_hit"], r4["cache_hit"]) == (True, None, None, False)
    assert (r1["cache_read_input_tokens"], r2["cache_read_input_tokens"], r3["cache_read_input_tokens"]) == (
        40,
        7,
        0,
    )
    assert r2["key_alias"] == "eng-backend"
    assert r1["hour"] == datetime(2026, 3, 3, 14, tzinfo=UTC)
    assert r5["hour"] == datetime(2026, 3, 3, 15, tzinfo=UTC)
    assert r1["date"] == D2
    assert (r4["status"], r4["is_success"], r4["error_code"]) == ("failure", False, "429")
    assert r4["latency_ms"] == pytest.approx(811.0)
    assert (r5["status"], r5["is_success"], r5["team_id"], r5["provider"]) == (
        "success",
        True,
        "Unassigned",
        None,
    )


def test_dimensions(small: duckdb.DuckDBPyConnection) -> None:
    teams = by(table_rows(small, "SELECT * FROM staging.teams"), "team_id")
    assert set(teams) == {("team-eng",), ("team-data",), ("team-gone",), ("Unassigned",)}
    assert teams[("team-eng",)]["organization_id"] == "org-1"
    assert teams[("team-gone",)]["team_alias"] == "Gone Team"
    assert teams[("team-gone",)]["in_team_list"] is False
    keys = by(table_rows(small, "SELECT * FROM staging.keys"), "token")
    assert set(keys) == {("k-eng",), ("k-data",), ("k-old",), ("k-none",)}
    assert keys[("k-old",)]["is_deleted"] is True
    assert (keys[("k-none",)]["team_id"], keys[("k-none",)]["in_key_list"]) == ("Unassigned", False)
    models = by(table_rows(small, "SELECT * FROM staging.models"), "model")
    assert set(models) == {("gpt-4o",), ("claude-sonnet-4-20250514",)}
    gpt = models[("gpt-4o",)]
    assert (gpt["model_group"], gpt["provider"], gpt["deployments"]) == ("gpt-4o", "openai", 2)
    assert gpt["litellm_model"] == "openai/gpt-4o"
    assert gpt["input_cost_per_token"] == 2.5e-6
    mapping = by(table_rows(small, "SELECT * FROM staging.model_map_daily"), "date", "model")
    assert (mapping[(D1, "mystery-model")]["model_group"], mapping[(D1, "mystery-model")]["provider"]) == (
        "mystery",
        "acme",
    )


def test_team_usage_daily(small: duckdb.DuckDBPyConnection) -> None:
    rows = by(table_rows(small, "SELECT * FROM marts.team_usage_daily WHERE date = ?", [D1]), "team_id")
    eng = rows[("team-eng",)]
    assert eng["team_alias"] == "Engineering"
    assert eng["spend"] == pytest.approx(2.8)
    assert (eng["prompt_tokens"], eng["completion_tokens"], eng["total_tokens"]) == (
        600_000,
        120_000,
        720_000,
    )
    assert (eng["api_requests"], eng["successful_requests"], eng["failed_requests"]) == (160, 159, 1)
    assert eng["success_rate"] == pytest.approx(159 / 160)
    assert rows[("team-gone",)]["team_alias"] == "Gone Team"
    assert rows[("Unassigned",)]["team_alias"] == "Unassigned"
    assert rows[("Unassigned",)]["api_requests"] == 3
    assert sum(r["spend"] for r in rows.values()) == pytest.approx(3.65)


def test_model_and_team_model_usage(small: duckdb.DuckDBPyConnection) -> None:
    models = by(table_rows(small, "SELECT * FROM marts.model_usage_daily WHERE date = ?", [D1]), "model")
    gpt = models[("gpt-4o",)]
    assert (gpt["model_group"], gpt["provider"], gpt["teams_using"], gpt["api_requests"]) == (
        "gpt-4o",
        "openai",
        3,
        123,
    )
    assert gpt["spend"] == pytest.approx(1.35)
    mystery = models[("mystery-model",)]
    assert (mystery["model_group"], mystery["provider"], mystery["teams_using"]) == ("mystery", "acme", 1)
    assert models[("claude-sonnet-4-20250514",)]["model_group"] == "claude-sonnet-4"
    tm = by(table_rows(small, "SELECT * FROM marts.team_model_usage_daily"), "date", "team_id", "model")
    assert len(tm) == 7
    row = tm[(D2, "team-data", "claude-sonnet-4-20250514")]
    assert (row["team_alias"], row["model_group"], row["provider"], row["api_requests"]) == (
        "Data Science",
        "claude-sonnet-4",
        "anthropic",
        30,
    )


def test_hourly_usage_with_latency_quantiles(small: duckdb.DuckDBPyConnection) -> None:
    rows = by(table_rows(small, "SELECT * FROM marts.hourly_usage"), "hour", "team_id", "model_group")
    h14 = rows[(datetime(2026, 3, 3, 14, tzinfo=UTC), "team-eng", "gpt-4o")]
    assert (h14["date"], h14["team_alias"]) == (D2, "Engineering")
    assert (h14["api_requests"], h14["successful_requests"], h14["failed_requests"]) == (4, 3, 1)
    assert h14["spend"] == pytest.approx(2.05)
    assert h14["latency_p50_ms"] == pytest.approx(300.0)
    assert h14["latency_p95_ms"] == pytest.approx(400 + 0.85 * 411)
    h15 = rows[(datetime(2026, 3, 3, 15, tzinfo=UTC), "Unassigned", "claude-sonnet-4")]
    assert (h15["api_requests"], h15["latency_p50_ms"]) == (1, 50.0)
    assert len(rows) == 2


def test_cost_efficiency(small: duckdb.DuckDBPyConnection) -> None:
    rows = by(
        table_rows(small, "SELECT * FROM marts.cost_efficiency WHERE date = ?", [D1]), "team_id", "model"
    )
    eng = rows[("team-eng", "gpt-4o")]
    expected_list = (200_000 - 40_000) * 2.5e-6 + 40_000 * 1.25e-6 + 80_000 * 1e-5
    assert eng["list_price_cost"] == pytest.approx(expected_list)
    assert eng["list_price_savings"] == pytest.approx(expected_list - 1.0)
    assert eng["spend_per_1k_tokens"] == pytest.approx(1.0 / 280_000 * 1000)
    assert eng["tokens_per_usd"] == pytest.approx(280_000)
    assert eng["spend_per_successful_request"] == pytest.approx(0.01)
    assert eng["cache_read_share"] == pytest.approx(0.2)
    claude = rows[("team-eng", "claude-sonnet-4-20250514")]
    assert claude["list_price_cost"] == pytest.approx(400_000 * 3e-6 + 40_000 * 1.5e-5)
    mystery = rows[("team-gone", "mystery-model")]
    assert mystery["list_price_cost"] is None and mystery["list_price_savings"] is None
    assert mystery["team_alias"] == "Gone Team"
