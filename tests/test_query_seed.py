"""Hand-made marts for the query, snapshot, CLI and report tests (no tests here; imported by them).

Days 2026-03-01..03: teams t-alpha ('alpha'), t-beta ('beta', renamed 'beta-renamed' on 03-03) and
'Unassigned'; models gpt-4o-2024 (group gpt-4o), claude-3-5 (group claude), gpt-4o-mini (group gpt-4o-mini).
Hourly rows sit around the Europe/Berlin DST change of 2026-03-29 (01:00 UTC).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

METRICS_DDL = (
    "spend DOUBLE, prompt_tokens BIGINT, completion_tokens BIGINT, cache_read_input_tokens BIGINT, "
    "cache_creation_input_tokens BIGINT, total_tokens BIGINT, api_requests BIGINT, "
    "successful_requests BIGINT, failed_requests BIGINT"
)

# date, team_id, team_alias, model, model_group, provider, spend, prompt, completion, cache_read,
# cache_creation, total, api, ok, failed, list_price_cost
# fmt: off
TEAM_MODEL_ROWS = [
    ("2026-03-01", "t-alpha", "alpha", "gpt-4o-2024", "gpt-4o", "openai",
     0.8, 500, 300, 100, 0, 800, 8, 7, 1, 1.0),
    ("2026-03-01", "t-alpha", "alpha", "claude-3-5", "claude", "anthropic",
     0.2, 100, 100, 0, 0, 200, 2, 2, 0, None),
    ("2026-03-02", "t-alpha", "alpha", "gpt-4o-2024", "gpt-4o", "openai",
     3.0, 1200, 800, 0, 50, 2000, 20, 20, 0, 2.5),
    ("2026-03-01", "t-beta", "beta", "claude-3-5", "claude", "anthropic",
     5.0, 300, 200, 0, 0, 500, 5, 4, 1, None),
    ("2026-03-03", "t-beta", "beta-renamed", "gpt-4o-mini", "gpt-4o-mini", "openai",
     1.0, 100, 100, 0, 0, 200, 5, 5, 0, 0.9),
    ("2026-03-02", "Unassigned", "Unassigned", "gpt-4o-mini", "gpt-4o-mini", "openai",
     0.5, 50, 50, 0, 0, 100, 2, 1, 1, 0.4),
]
# fmt: on

# hour (UTC), team_id, team_alias, model_group, api, ok, failed, prompt, completion, total, spend, p50, p95
HOURLY_ROWS = [
    ("2026-03-25 12:00:00+00", "t-alpha", "alpha", "gpt-4o", 5, 5, 0, 50, 50, 100, 0.1, 120.0, 300.0),
    ("2026-03-28 22:00:00+00", "t-alpha", "alpha", "gpt-4o", 4, 4, 0, 40, 40, 80, 0.1, 110.0, 250.0),
    ("2026-03-28 23:00:00+00", "t-alpha", "alpha", "gpt-4o", 6, 5, 1, 60, 60, 120, 0.2, 130.0, 260.0),
    ("2026-03-29 00:00:00+00", "t-alpha", "alpha", "gpt-4o", 2, 2, 0, 20, 20, 40, 0.05, 100.0, 200.0),
    ("2026-03-29 00:00:00+00", "t-beta", "beta", "claude", 6, 3, 3, 60, 60, 120, 0.3, 300.0, 900.0),
    ("2026-03-29 01:00:00+00", "t-alpha", "alpha", "gpt-4o", 3, 3, 0, 30, 30, 60, 0.1, 90.0, 150.0),
    ("2026-03-29 21:00:00+00", "t-beta", "beta", "claude", 1, 1, 0, 10, 10, 20, 0.01, 80.0, 80.0),
    ("2026-03-29 22:00:00+00", "t-beta", "beta", "claude", 7, 7, 0, 70, 70, 140, 0.4, 95.0, 400.0),
]

_SUMS = (
    "sum(spend) AS spend, sum(prompt_tokens) AS prompt_tokens, sum(completion_tokens) AS completion_tokens, "
    "sum(cache_read_input_tokens) AS cache_read_input_tokens, "
    "sum(cache_creation_input_tokens) AS cache_creation_input_tokens, sum(total_tokens) AS total_tokens, "
    "sum(api_requests) AS api_requests, sum(successful_requests) AS successful_requests, "
    "sum(failed_requests) AS failed_requests"
)
_RATE = "CASE WHEN api_requests > 0 THEN successful_requests / api_requests END AS success_rate"


def seed_marts(conn: duckdb.DuckDBPyConnection, *, is_demo: bool | None = False) -> None:
    """Create and fill ``marts.*`` (and ``raw.extract_source`` unless ``is_demo`` is None)."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS marts")
    conn.execute(
        "CREATE OR REPLACE TABLE marts.team_model_usage_daily (date DATE, team_id VARCHAR, "
        "team_alias VARCHAR, model VARCHAR, model_group VARCHAR, provider VARCHAR, "
        f"{METRICS_DDL}, success_rate DOUBLE)"
    )
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE seed_rows (date DATE, team_id VARCHAR, team_alias VARCHAR, "
        f"model VARCHAR, model_group VARCHAR, provider VARCHAR, {METRICS_DDL}, list_price_cost DOUBLE)"
    )
    conn.executemany("INSERT INTO seed_rows VALUES (" + ", ".join(["?"] * 16) + ")", TEAM_MODEL_ROWS)
    conn.execute(
        f"INSERT INTO marts.team_model_usage_daily SELECT * EXCLUDE (list_price_cost), {_RATE} FROM seed_rows"
    )
    conn.execute(
        "CREATE OR REPLACE TABLE marts.team_usage_daily AS "
        f"SELECT *, {_RATE} FROM (SELECT date, team_id, any_value(team_alias) AS team_alias, {_SUMS} "
        "FROM seed_rows GROUP BY ALL)"
    )
    conn.execute(
        "CREATE OR REPLACE TABLE marts.model_usage_daily AS "
        f"SELECT * EXCLUDE (teams_using), {_RATE}, teams_using FROM (SELECT date, model, "
        f"any_value(model_group) AS model_group, any_value(provider) AS provider, {_SUMS}, "
        "count(DISTINCT team_id)::BIGINT AS teams_using FROM seed_rows GROUP BY date, model)"
    )
    conn.execute(
        "CREATE OR REPLACE TABLE marts.cost_efficiency AS SELECT date, team_id, team_alias, model, "
        "model_group, provider, spend, prompt_tokens, completion_tokens, cache_read_input_tokens, "
        "cache_creation_input_tokens, total_tokens, successful_requests, "
        "CASE WHEN total_tokens > 0 THEN spend / total_tokens * 1000 END AS spend_per_1k_tokens, "
        "CASE WHEN spend > 0 THEN total_tokens / spend END AS tokens_per_usd, "
        "CASE WHEN successful_requests > 0 THEN spend / successful_requests END "
        "AS spend_per_successful_request, "
        "CASE WHEN prompt_tokens > 0 THEN cache_read_input_tokens / prompt_tokens END AS cache_read_share, "
        "list_price_cost, list_price_cost - spend AS list_price_savings FROM seed_rows"
    )
    conn.execute(
        "CREATE OR REPLACE TABLE marts.hourly_usage (hour TIMESTAMPTZ, date DATE, team_id VARCHAR, "
        "team_alias VARCHAR, model_group VARCHAR, api_requests BIGINT, successful_requests BIGINT, "
        "failed_requests BIGINT, prompt_tokens BIGINT, completion_tokens BIGINT, total_tokens BIGINT, "
        "spend DOUBLE, latency_p50_ms DOUBLE, latency_p95_ms DOUBLE)"
    )
    conn.executemany(
        "INSERT INTO marts.hourly_usage VALUES (?::TIMESTAMPTZ, timezone('UTC', ?::TIMESTAMPTZ)::DATE, "
        + ", ".join(["?"] * 12)
        + ")",
        [(row[0], row[0], *row[1:]) for row in HOURLY_ROWS],
    )
    conn.execute("COMMENT ON TABLE marts.team_usage_daily IS 'One row per team and UTC day.'")
    conn.execute("COMMENT ON COLUMN marts.team_usage_daily.team_id IS 'LiteLLM team id; ''Unassigned'' too.'")
    if is_demo is not None:
        conn.execute("CREATE SCHEMA IF NOT EXISTS raw")
        conn.execute(
            "CREATE OR REPLACE TABLE raw.extract_source (source_url VARCHAR, is_demo BOOLEAN, "
            "first_loaded_at TIMESTAMPTZ, last_loaded_at TIMESTAMPTZ)"
        )
        conn.execute(
            "INSERT INTO raw.extract_source VALUES ('http://127.0.0.1:1', ?, now(), now())", [is_demo]
        )


def seeded_warehouse(path: Path, *, is_demo: bool | None = False, publish: bool = True) -> Path:
    """A warehouse file at ``path`` with the seeded marts (and, by default, its published snapshot)."""
    from pipeline.warehouse.snapshot import publish_snapshot_from

    conn = duckdb.connect(str(path))
    try:
        seed_marts(conn, is_demo=is_demo)
        if publish:
            publish_snapshot_from(conn, path)
    finally:
        conn.close()
    return path
