"""Data-quality checks pass on clean data and fail on the corruption each one guards against."""

from __future__ import annotations

import json

import duckdb
import pytest

from pipeline.warehouse.checks import (
    check_daily_reconciliation,
    check_grain_unique,
    check_no_negative_metrics,
    check_page_completeness,
    check_request_balance,
    check_spend_logs_drift,
    default_checks,
)
from pipeline.warehouse.models import build_all, discover_models
from tests import sqlseed
from tests.sqlseed import D1, D2


def seeded() -> duckdb.DuckDBPyConnection:
    conn = sqlseed.connect()
    sqlseed.seed_small(conn)
    return conn


def test_all_checks_pass_on_clean_data() -> None:
    conn = seeded()
    build_all(conn)
    specs = default_checks()
    assert {s.table for s in specs} >= {"raw.team_daily_activity", "marts.team_usage_daily"}
    for spec in specs:
        if spec.name == "spend_logs_drift":
            continue
        outcome = spec.fn(conn, None, None)
        assert outcome.passed, (spec.table, spec.name, outcome.description)
        assert spec.fn(conn, D1, D2).passed


def test_duplicate_page_fails_completeness_and_reconciliation() -> None:
    conn = seeded()
    conn.execute(
        "INSERT INTO raw.team_daily_activity SELECT * FROM raw.team_daily_activity "
        "WHERE partition_date = ? AND scope = 'team:team-eng' AND page = 2",
        [D1],
    )
    build_all(conn)
    outcome = check_page_completeness(conn, D1, D1)
    assert not outcome.passed and outcome.severity == "ERROR"
    assert "duplicate page" in outcome.description
    assert outcome.metadata["examples"][0]["scope"] == "team:team-eng"
    assert check_page_completeness(conn, D2, D2).passed
    grain = check_grain_unique("staging.daily_activity_pages", ("date", "scope", "page"), "date")(
        conn, D1, D1
    )
    assert not grain.passed


def test_missing_page_fails_completeness_and_reconciliation_stays_exact() -> None:
    conn = seeded()
    conn.execute(
        "DELETE FROM raw.team_daily_activity WHERE partition_date = ? AND scope = 'unassigned' AND page = 1",
        [D1],
    )
    build_all(conn)
    outcome = check_page_completeness(conn, None, None)
    assert not outcome.passed
    assert outcome.metadata["bad_scopes"] == 1
    assert outcome.metadata["examples"][0]["pages"] == [2]
    assert "missing" in outcome.description
    assert check_daily_reconciliation(conn, D1, D1).passed


def test_reconciliation_fails_when_a_page_total_disagrees() -> None:
    conn = seeded()
    conn.execute(
        """
        UPDATE raw.team_daily_activity
        SET payload = json_merge_patch(
            payload, '{"metadata": {"total_spend": 99.0, "total_api_requests": 1}}'
        )
        WHERE partition_date = ? AND scope = 'team:team-data'
        """,
        [D1],
    )
    build_all(conn)
    outcome = check_daily_reconciliation(conn, D1, D2)
    assert not outcome.passed and outcome.severity == "ERROR"
    worst = outcome.metadata["worst"]
    assert {w["layer"] for w in worst} == {"staging", "marts"}
    assert all(w["date"] == D1.isoformat() for w in worst)
    assert worst[0]["api_requests_diff"] == 19
    assert worst[0]["spend_diff"] == pytest.approx(0.25 - 99.0)
    assert check_daily_reconciliation(conn, D2, D2).passed


def test_reconciliation_fails_on_results_for_another_day() -> None:
    conn = sqlseed.connect()
    pages = [sqlseed.load_sample(f"team_daily_activity_page{n}_size5.json") for n in (1, 2)]
    sqlseed.insert_pages(conn, D1, "unassigned", pages)
    build_all(conn)
    assert check_page_completeness(conn, None, None).passed
    outcome = check_daily_reconciliation(conn, None, None)
    assert not outcome.passed
    assert outcome.metadata["worst"][0]["spend_diff"] == pytest.approx(-5.05)


def test_negative_metric_and_request_imbalance_fail() -> None:
    conn = seeded()
    build_all(conn)
    conn.execute(
        "UPDATE marts.team_usage_daily SET spend = -1 WHERE team_id = 'team-data' AND date = ?", [D1]
    )
    negative = check_no_negative_metrics("marts.team_usage_daily")(conn, D1, D1)
    assert not negative.passed
    assert negative.metadata["negative_rows_by_column"] == {"spend": 1}
    assert check_no_negative_metrics("marts.team_usage_daily")(conn, D2, D2).passed
    conn.execute(
        "UPDATE marts.team_usage_daily SET failed_requests = 5 WHERE team_id = 'team-eng' AND date = ?", [D2]
    )
    balance = check_request_balance("marts.team_usage_daily")(conn, None, None)
    assert not balance.passed
    assert balance.metadata["examples"][0]["team_id"] == "team-eng"


def test_negative_value_in_raw_payload_fails_model_checks() -> None:
    conn = sqlseed.connect()
    rows = sqlseed.small_daily_rows()
    rows[2] = sqlseed.DbRow(
        D1, "team-data", "k-data", "gpt-4o", "gpt-4o", "openai", -0.25, 60_000, 10_000, 20
    )
    sqlseed.insert_rows_as_pages(conn, rows, page_size=1, known_teams=sqlseed.KNOWN_TEAMS)
    build_all(conn)
    failing = {
        (spec.table, spec.name)
        for spec in default_checks()
        if spec.name == "no_negative_metrics" and not spec.fn(conn, D1, D1).passed
    }
    assert ("staging.daily_activity", "no_negative_metrics") in failing
    assert ("marts.team_usage_daily", "no_negative_metrics") in failing


def test_duplicate_spend_log_request_ids_stay_unique() -> None:
    conn = seeded()
    build_all(conn)
    model = next(m for m in discover_models() if m.qualified_name == "staging.spend_logs")
    assert check_grain_unique("staging.spend_logs", model.grain, "date")(conn, None, None).passed
    conn.execute("INSERT INTO staging.spend_logs SELECT * FROM staging.spend_logs WHERE request_id = 'r1'")
    outcome = check_grain_unique("staging.spend_logs", model.grain, "date")(conn, None, None)
    assert not outcome.passed
    assert outcome.metadata["examples"] == [{"request_id": "r1", "copies": 2}]


def test_spend_logs_drift_is_a_warning_with_top_differences() -> None:
    conn = seeded()
    build_all(conn)
    outcome = check_spend_logs_drift(conn, None, None)
    assert not outcome.passed and outcome.severity == "WARN"
    assert outcome.metadata["days_without_spend_logs"] == [D1.isoformat()]
    top = outcome.metadata["top_differences"][0]
    assert (top["date"], top["team_id"]) == (D2.isoformat(), "team-data")
    assert (top["log_requests"], top["daily_requests"]) == (0, 30)
    assert top["spend_diff"] == pytest.approx(-0.7)
    eng = next(d for d in outcome.metadata["top_differences"] if d["team_id"] == "team-eng")
    assert (eng["log_requests"], eng["daily_requests"]) == (4, 152)
    json.dumps(outcome.metadata)

    aligned = sqlseed.connect()
    sqlseed.insert_rows_as_pages(
        aligned,
        [sqlseed.DbRow(D2, "team-eng", "k-eng", "gpt-4o", "gpt-4o", "openai", 0.3, 200, 40, 2)],
        known_teams=["team-eng"],
    )
    sqlseed.insert_spend_logs(
        aligned,
        [sqlseed.spend_log(f"a{i}", "2026-03-03T10:00:00Z", spend=0.15, prompt_tokens=100) for i in range(2)],
    )
    build_all(aligned)
    assert check_spend_logs_drift(aligned, D2, D2).passed
