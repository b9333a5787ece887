"""Benchmark: full build of every SQL model vs a one-day incremental refresh, on a synthetic raw warehouse.

The raw tables are generated directly in DuckDB (``range`` + JSON functions, no HTTP): a year of
``/team/daily/activity`` page payloads shaped like LiteLLM 1.110 (per-page aggregation, breakdown maps with
``api_key_breakdown``, per-page metadata totals) and N ``/spend/logs/v2`` rows. The database is left at
``--db`` for the query benchmarks.

    .venv/bin/python bench/marts.py            # 10M spend logs, 365 days
    .venv/bin/python bench/marts.py --quick    # 1M spend logs
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb

from pipeline.warehouse.models import BuildResult, build_all
from pipeline.warehouse.schema import ensure_schemas

END_DAY = date(2026, 3, 1)
PROVIDERS = ("openai", "anthropic", "azure", "bedrock")
DAYS_PER_CHUNK = 15


@dataclass(frozen=True)
class Shape:
    days: int
    spend_logs: int
    teams: int
    keys_per_team: int
    unassigned_keys: int
    models: int
    models_per_key: int
    page_size: int


METRICS_JSON = """
CREATE OR REPLACE TEMP MACRO metrics_json(spend, p, c, cr, cc, ok, failed) AS json_object(
    'spend', spend, 'flat_cost', 0.0, 'prompt_tokens', p, 'completion_tokens', c,
    'cache_read_input_tokens', cr, 'cache_creation_input_tokens', cc, 'total_tokens', p + c,
    'successful_requests', ok, 'failed_requests', failed, 'api_requests', ok + failed)
"""


def _generate_dimensions(conn: duckdb.DuckDBPyConnection, shape: Shape) -> None:
    conn.execute(
        """
        CREATE OR REPLACE TEMP TABLE g_models AS
        SELECT i AS mi, 'model-' || i AS model, 'group-' || i AS model_group,
            (?::VARCHAR[])[1 + i % 4] AS provider,
            (1 + i % 5) * 1e-6 AS input_cost, (1 + i % 5) * 4e-6 AS output_cost
        FROM range(?) AS t(i)
        """,
        [list(PROVIDERS), shape.models],
    )
    team_keys = shape.teams * shape.keys_per_team
    conn.execute(
        """
        CREATE OR REPLACE TEMP TABLE g_keys AS
        SELECT k AS ki, sha256('sk-bench-' || k) AS api_key, 'key-' || k AS key_alias,
            CASE WHEN k < ? THEN 'team-' || (k // ?) END AS team_id
        FROM range(?) AS t(k)
        """,
        [team_keys, shape.keys_per_team, team_keys + shape.unassigned_keys],
    )
    # The last team is "deleted": absent from /v2/team/list, so its traffic lands in the unassigned scope.
    conn.execute(
        """
        INSERT INTO raw.teams
        SELECT 'team-' || i, json_object('team_id', 'team-' || i, 'team_alias', 'Team ' || i), now(), 'bench'
        FROM range(?) AS t(i)
        """,
        [shape.teams - 1],
    )
    conn.execute(
        """
        INSERT INTO raw.keys
        SELECT api_key, 'active', json_object('token', api_key, 'key_alias', key_alias, 'team_id', team_id),
            now(), 'bench'
        FROM g_keys
        """
    )
    conn.execute(
        """
        INSERT INTO raw.models
        SELECT model_group, 'dep-' || mi, json_object(
            'model_name', model_group, 'litellm_params', json_object('model', provider || '/' || model),
            'model_info', json_object('id', 'dep-' || mi, 'litellm_provider', provider,
                'input_cost_per_token', input_cost, 'output_cost_per_token', output_cost)), now(), 'bench'
        FROM g_models
        """
    )


def _generate_daily_activity(conn: duckdb.DuckDBPyConnection, shape: Shape) -> int:
    first = END_DAY - timedelta(days=shape.days - 1)
    conn.execute(METRICS_JSON)
    conn.execute(
        """
        CREATE OR REPLACE TEMP TABLE g_rows AS
        WITH base AS (
            SELECT CAST(? + INTERVAL (d) DAY AS DATE) AS day, k.ki, k.api_key, k.key_alias, k.team_id,
                m.model, m.model_group, m.provider, m.input_cost, m.output_cost,
                hash(d, k.ki, j) AS h
            FROM range(?) AS days(d), g_keys AS k, range(?) AS mk(j)
            JOIN g_models AS m ON m.mi = (k.ki * 7 + j * 3) % ?
        )
        SELECT day, api_key, key_alias, team_id, model, model_group, provider,
            CASE WHEN team_id IS NOT NULL AND team_id <> ? THEN 'team:' || team_id ELSE 'unassigned' END
                AS scope,
            CAST(1 + h % 200 AS BIGINT) AS requests,
            CAST((1 + h % 200) // 50 AS BIGINT) AS failed,
            CAST((1 + h % 200) * (400 + h % 900) AS BIGINT) AS prompt_tokens,
            CAST((1 + h % 200) * (80 + h % 300) AS BIGINT) AS completion_tokens,
            CAST((1 + h % 200) * (h % 97) AS BIGINT) AS cache_read
        FROM base
        """,
        [first, shape.days, shape.models_per_key, shape.models, f"team-{shape.teams - 1}"],
    )
    conn.execute(
        """
        CREATE OR REPLACE TEMP TABLE g_paged AS
        SELECT *,
            prompt_tokens * input_cost + completion_tokens * output_cost AS spend,
            requests - failed AS ok,
            CAST(
                (row_number() OVER (PARTITION BY day, scope ORDER BY api_key, model) - 1) // ? + 1 AS INTEGER
            ) AS page,
            CAST(ceil(count(*) OVER (PARTITION BY day, scope) / ?) AS INTEGER) AS total_pages
        FROM g_rows JOIN g_models USING (model, model_group, provider)
        """,
        [shape.page_size, shape.page_size],
    )
    for offset in range(0, shape.days, DAYS_PER_CHUNK):
        lo = first + timedelta(days=offset)
        hi = lo + timedelta(days=DAYS_PER_CHUNK - 1)
        conn.execute(
            "CREATE OR REPLACE TEMP TABLE g_chunk AS SELECT * FROM g_paged WHERE day BETWEEN ? AND ?",
            [lo, hi],
        )
        conn.execute(
            """
            CREATE OR REPLACE TEMP TABLE g_buckets AS
            WITH cells AS (
                SELECT day, scope, page, kind, bucket, api_key, any_value(key_alias) AS key_alias,
                    any_value(team_id) AS team_id, sum(spend) AS spend, sum(prompt_tokens) AS p,
                    sum(completion_tokens) AS c, sum(cache_read) AS cr, sum(ok) AS ok, sum(failed) AS failed
                FROM (
                    SELECT *, 'models' AS kind, model AS bucket FROM g_chunk
                    UNION ALL SELECT *, 'model_groups', model_group FROM g_chunk
                    UNION ALL SELECT *, 'providers', provider FROM g_chunk
                    UNION ALL SELECT *, 'entities', coalesce(team_id, 'Unassigned') FROM g_chunk
                )
                GROUP BY ALL
            )
            SELECT day, scope, page, kind, bucket, json_object(
                'metrics', metrics_json(sum(spend), sum(p), sum(c), sum(cr), 0, sum(ok), sum(failed)),
                'metadata', CASE WHEN kind = 'entities' AND bucket <> 'Unassigned'
                    THEN json_object('team_alias', 'Team ' || substr(bucket, 6)) ELSE json_object() END,
                'api_key_breakdown', json_group_object(api_key, json_object(
                    'metrics', metrics_json(spend, p, c, cr, 0, ok, failed),
                    'metadata', json_object('key_alias', key_alias, 'team_id', team_id, 'user_id', NULL,
                        'user_email', NULL, 'key_exists', TRUE)))) AS obj
            FROM cells
            GROUP BY day, scope, page, kind, bucket
            """
        )
        conn.execute(
            """
            INSERT INTO raw.team_daily_activity
            WITH totals AS (
                SELECT day, scope, page, any_value(total_pages) AS total_pages, sum(spend) AS spend,
                    sum(prompt_tokens) AS p, sum(completion_tokens) AS c, sum(cache_read) AS cr,
                    sum(ok) AS ok, sum(failed) AS failed
                FROM g_chunk GROUP BY day, scope, page
            ),
            kind_maps AS (
                SELECT day, scope, page, kind, json_group_object(bucket, obj) AS obj_map
                FROM g_buckets GROUP BY day, scope, page, kind
            ),
            maps AS (
                SELECT day, scope, page,
                    max(obj_map) FILTER (WHERE kind = 'models') AS models,
                    max(obj_map) FILTER (WHERE kind = 'model_groups') AS model_groups,
                    max(obj_map) FILTER (WHERE kind = 'providers') AS providers,
                    max(obj_map) FILTER (WHERE kind = 'entities') AS entities
                FROM kind_maps GROUP BY day, scope, page
            ),
            pages AS (
                SELECT t.day, t.scope, t.page, t.total_pages, json_object(
                    'results', json_array(json_object(
                        'date', strftime(t.day, '%Y-%m-%d'),
                        'metrics', metrics_json(t.spend, t.p, t.c, t.cr, 0, t.ok, t.failed),
                        'breakdown', json_object('mcp_servers', json_object(), 'models', m.models,
                            'model_groups', m.model_groups, 'providers', m.providers,
                            'endpoints', json_object(), 'api_keys', json_object(), 'entities', m.entities,
                            'guardrails', json_object()))),
                    'metadata', json_object(
                        'total_spend', t.spend, 'total_prompt_tokens', t.p, 'total_completion_tokens', t.c,
                        'total_tokens', t.p + t.c, 'total_api_requests', t.ok + t.failed,
                        'total_successful_requests', t.ok, 'total_failed_requests', t.failed,
                        'total_cache_read_input_tokens', t.cr, 'total_cache_creation_input_tokens', 0,
                        'page', t.page, 'total_pages', t.total_pages, 'has_more', t.page < t.total_pages)
                ) AS payload
                FROM totals AS t JOIN maps AS m USING (day, scope, page)
            )
            SELECT day, scope, CASE WHEN starts_with(scope, 'team:') THEN substr(scope, 6) END, page,
                total_pages, '/team/daily/activity', NULL, payload, octet_length(CAST(payload AS BLOB)),
                now(), 'bench'
            FROM pages
            """
        )
    rows = conn.execute("SELECT count(*) FROM g_paged").fetchone()
    for table in ("g_rows", "g_paged", "g_chunk", "g_buckets"):
        conn.execute(f"DROP TABLE {table}")
    return int(rows[0]) if rows else 0


def _generate_spend_logs(conn: duckdb.DuckDBPyConnection, shape: Shape) -> None:
    first = END_DAY - timedelta(days=shape.days - 1)
    step_us = shape.days * 86_400_000_000 // shape.spend_logs
    conn.execute(
        """
        INSERT INTO raw.spend_logs
        WITH base AS (
            SELECT i,
                CAST(? AS TIMESTAMPTZ) + to_microseconds(CAST(i * ? + hash(i) % ? AS BIGINT)) AS start_time,
                hash(i, 1) % ? AS ki, hash(i, 2) % ? AS j, hash(i, 3) AS h
            FROM range(?) AS t(i)
        ),
        enriched AS (
            SELECT b.*, k.api_key, k.key_alias, k.team_id, m.model, m.model_group, m.provider,
                m.input_cost, m.output_cost,
                CAST(200 + b.h % 3000 AS BIGINT) AS p, CAST(20 + b.h % 800 AS BIGINT) AS c,
                b.h % 100 < 2 AS failed, CAST(150 + b.h % 5000 AS BIGINT) AS duration
            FROM base AS b
            JOIN g_keys AS k ON k.ki = b.ki
            JOIN g_models AS m ON m.mi = (b.ki * 7 + b.j * 3) % ?
        )
        SELECT 'req-' || i, start_time, CAST(timezone('UTC', start_time) AS DATE), json_object(
            'request_id', 'req-' || i, 'call_type', 'acompletion', 'api_key', api_key,
            'spend', CASE WHEN failed THEN 0.0 ELSE p * input_cost + c * output_cost END,
            'total_tokens', p + c, 'prompt_tokens', p, 'completion_tokens', c,
            'startTime', strftime(timezone('UTC', start_time), '%Y-%m-%dT%H:%M:%S.%g+00:00'),
            'endTime', strftime(
                timezone('UTC', start_time + to_milliseconds(duration)), '%Y-%m-%dT%H:%M:%S.%g+00:00'),
            'model', model, 'model_id', NULL, 'model_group', model_group, 'custom_llm_provider', provider,
            'user', '', 'metadata', json_object('user_api_key_alias', key_alias,
                'additional_usage_values', json_object('cache_read_input_tokens', p // 10),
                'error_information', CASE WHEN failed THEN json_object('error_code', '429') END),
            'cache_hit', 'False', 'request_tags', json_array('bench'), 'team_id', coalesce(team_id, ''),
            'status', CASE WHEN failed THEN 'failure' ELSE 'success' END, 'request_duration_ms', duration),
            now(), 'bench'
        FROM enriched
        """,
        [
            first,
            step_us,
            max(step_us, 1),
            shape.teams * shape.keys_per_team + shape.unassigned_keys,
            shape.models_per_key,
            shape.spend_logs,
            shape.models,
        ],
    )


def _set_memory_limit(conn: duckdb.DuckDBPyConnection, value: str) -> None:
    if not re.fullmatch(r"[0-9.]+\s*[KMGT]i?B", value):
        raise SystemExit(f"invalid memory limit {value!r}; expected e.g. 320MB or 4GB")
    conn.execute(f"SET memory_limit = '{value}'")


def _summarise(label: str, results: list[BuildResult]) -> float:
    total = sum(r.seconds for r in results)
    print(f"\n{label}: {total:.2f} s")
    for r in results:
        kind = "full" if r.full_rebuild else "range"
        print(
            f"  {r.model:<36} {r.seconds:8.2f} s  {kind:<5}  "
            f"written {r.rows_written:>11,}  deleted {r.rows_deleted:>11,}"
        )
    return total


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, default=Path("bench/out/marts.duckdb"))
    parser.add_argument("--quick", action="store_true", help="1M spend logs instead of 10M")
    parser.add_argument("--spend-logs", type=int, default=None)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--keys-per-team", type=int, default=4)
    parser.add_argument("--models", type=int, default=12)
    parser.add_argument("--models-per-key", type=int, default=4)
    parser.add_argument("--page-size", type=int, default=25)
    parser.add_argument(
        "--memory-limit", default="1GB", help="DuckDB memory_limit for the builds (writer default: 320MB)"
    )
    parser.add_argument("--gen-memory-limit", default="4GB", help="memory_limit while generating raw data")
    parser.add_argument("--reuse", action="store_true", help="keep existing raw tables, only time the builds")
    args = parser.parse_args()
    shape = Shape(
        days=args.days,
        spend_logs=args.spend_logs or (1_000_000 if args.quick else 10_000_000),
        teams=args.teams,
        keys_per_team=args.keys_per_team,
        unassigned_keys=3,
        models=args.models,
        models_per_key=args.models_per_key,
        page_size=args.page_size,
    )
    if not args.reuse:
        for path in (args.db, Path(f"{args.db}.wal")):
            path.unlink(missing_ok=True)
    args.db.parent.mkdir(parents=True, exist_ok=True)
    # Attach under an alias: a file named marts.duckdb would be catalog "marts", clashing with schema marts.
    with duckdb.connect() as conn:
        conn.execute("ATTACH ? AS bench_warehouse", [str(args.db)])
        conn.execute("USE bench_warehouse")
        conn.execute("SET TimeZone = 'UTC'")
        conn.execute("SET preserve_insertion_order = false")
        _set_memory_limit(conn, args.memory_limit)
        ensure_schemas(conn)
        if not args.reuse:
            began = time.perf_counter()
            _set_memory_limit(conn, args.gen_memory_limit)
            _generate_dimensions(conn, shape)
            daily_rows = _generate_daily_activity(conn, shape)
            _generate_spend_logs(conn, shape)
            conn.execute("CHECKPOINT")
            _set_memory_limit(conn, args.memory_limit)
            print(f"generated raw data in {time.perf_counter() - began:.1f} s: {shape}")
            print(f"  daily-activity DB rows: {daily_rows:,}")
        pages, page_bytes = conn.execute(
            "SELECT count(*), sum(payload_bytes) FROM raw.team_daily_activity"
        ).fetchone() or (0, 0)
        logs = (conn.execute("SELECT count(*) FROM raw.spend_logs").fetchone() or (0,))[0]
        last_day = (
            conn.execute("SELECT max(partition_date) FROM raw.team_daily_activity").fetchone() or (None,)
        )[0]
        print(f"  raw.team_daily_activity: {pages:,} pages, {page_bytes / 1e6:,.0f} MB JSON")
        print(f"  raw.spend_logs: {logs:,} rows")

        full = _summarise("full build (all models, whole)", build_all(conn))
        day = _summarise(f"one-day refresh ({last_day})", build_all(conn, last_day, last_day))
        conn.execute("CHECKPOINT")
    print(f"\nfull build {full:.2f} s; one-day refresh {day:.2f} s; ratio {full / day:.1f}x (target >= 20x)")
    print(
        f"throughput (full build): {logs / full:,.0f} spend-log rows/s, "
        f"{page_bytes / 1e6 / full:,.1f} MB of page JSON/s"
    )
    print(f"database left at {args.db} ({args.db.stat().st_size / 1e9:.2f} GB)")


if __name__ == "__main__":
    main()
