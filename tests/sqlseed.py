"""Seed raw.* tables in a DuckDB for SQL model and check tests, with LiteLLM-shaped payloads."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import polars as pl

from pipeline.warehouse.schema import ensure_schemas
from tests.samples import SAMPLES_DIR

EXTRACTED_AT = datetime(2026, 3, 10, tzinfo=UTC)

METRIC_FIELDS: tuple[str, ...] = (
    "spend",
    "prompt_tokens",
    "completion_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "total_tokens",
    "successful_requests",
    "failed_requests",
    "api_requests",
)


@dataclass(frozen=True)
class DbRow:
    """One LiteLLM_DailyTeamSpend row."""

    day: date
    team_id: str
    api_key: str
    model: str
    model_group: str
    provider: str
    spend: float
    prompt_tokens: int
    completion_tokens: int
    successful_requests: int
    failed_requests: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    key_alias: str | None = None
    key_team_id: str | None = None

    def metrics(self) -> dict[str, float | int]:
        return {
            "spend": self.spend,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "successful_requests": self.successful_requests,
            "failed_requests": self.failed_requests,
            "api_requests": self.successful_requests + self.failed_requests,
        }


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory warehouse with the raw schema."""
    conn = duckdb.connect()
    ensure_schemas(conn)
    return conn


def load_sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES_DIR / name).read_text(encoding="utf-8"))


def _add(target: dict[str, float | int], metrics: dict[str, float | int]) -> None:
    for key, value in metrics.items():
        target[key] = target.get(key, 0) + value


def _bucket() -> dict[str, Any]:
    return {"metrics": {}, "metadata": {}, "api_key_breakdown": {}}


def page_payloads(
    rows: list[DbRow], page_size: int, team_aliases: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """LiteLLM 1.110 /team/daily/activity pages for these rows (date DESC order, per-page aggregation)."""
    aliases = team_aliases or {}
    ordered = sorted(rows, key=lambda r: r.day, reverse=True)
    total_pages = math.ceil(len(ordered) / page_size)
    pages: list[dict[str, Any]] = []
    for index in range(max(total_pages, 1)):
        chunk = ordered[index * page_size : (index + 1) * page_size]
        by_day: dict[date, dict[str, Any]] = {}
        page_totals: dict[str, float | int] = {}
        for row in chunk:
            metrics = row.metrics()
            _add(page_totals, metrics)
            day = by_day.setdefault(
                row.day,
                {"date": row.day.isoformat(), "metrics": {}, "breakdown": defaultdict(dict)},
            )
            _add(day["metrics"], metrics)
            key_meta = {
                "key_alias": row.key_alias,
                "team_id": row.key_team_id if row.key_team_id is not None else row.team_id,
                "user_id": None,
                "user_email": None,
                "key_exists": True,
            }
            for kind, name in (
                ("models", row.model),
                ("model_groups", row.model_group),
                ("providers", row.provider),
                ("entities", row.team_id or "Unassigned"),
            ):
                bucket = day["breakdown"][kind].setdefault(name, _bucket())
                _add(bucket["metrics"], metrics)
                if kind == "entities" and row.team_id in aliases:
                    bucket["metadata"] = {"team_alias": aliases[row.team_id]}
                cells = bucket["api_key_breakdown"]
                cell = cells.setdefault(row.api_key, {"metrics": {}, "metadata": key_meta})
                _add(cell["metrics"], metrics)
            key_buckets = day["breakdown"]["api_keys"]
            key_bucket = key_buckets.setdefault(row.api_key, {"metrics": {}, "metadata": key_meta})
            _add(key_bucket["metrics"], metrics)
        results = [
            {"date": d["date"], "metrics": d["metrics"], "breakdown": dict(d["breakdown"])}
            for _, d in sorted(by_day.items(), reverse=True)
        ]
        metadata = {f"total_{k}" if k != "total_tokens" else k: v for k, v in page_totals.items()}
        for field in METRIC_FIELDS:
            metadata.setdefault(f"total_{field}" if field != "total_tokens" else field, 0)
        metadata.update(page=index + 1, total_pages=total_pages, has_more=index + 1 < total_pages)
        pages.append({"results": results, "metadata": metadata})
    return pages


def insert_pages(
    conn: duckdb.DuckDBPyConnection,
    partition_date: date,
    scope: str,
    payloads: Iterable[dict[str, Any]],
    pages: Iterable[int] | None = None,
) -> None:
    """Insert pages for one (day, scope) into raw.team_daily_activity (page numbers default to 1..n)."""
    bodies = [json.dumps(p) for p in payloads]
    numbers = list(pages) if pages is not None else list(range(1, len(bodies) + 1))
    team_id = scope.removeprefix("team:") if scope.startswith("team:") else None
    frame = pl.DataFrame(
        {
            "partition_date": [partition_date] * len(bodies),
            "scope": [scope] * len(bodies),
            "team_id": [team_id] * len(bodies),
            "page": numbers,
            "total_pages": [json.loads(b)["metadata"].get("total_pages") for b in bodies],
            "payload": bodies,
        },
        schema_overrides={"team_id": pl.Utf8, "page": pl.Int32, "total_pages": pl.Int32},
    )
    conn.register("seed_pages", frame)
    conn.execute(
        "INSERT INTO raw.team_daily_activity SELECT partition_date, scope, team_id, page, total_pages, "
        "'/team/daily/activity', NULL, payload::JSON, octet_length(payload::BLOB), ?, 'seed' FROM seed_pages",
        [EXTRACTED_AT],
    )
    conn.unregister("seed_pages")


def insert_rows_as_pages(
    conn: duckdb.DuckDBPyConnection,
    rows: list[DbRow],
    page_size: int = 2,
    team_aliases: dict[str, str] | None = None,
    known_teams: Iterable[str] | None = None,
) -> None:
    """Crawl-shaped pages: per day one 'team:<id>' scope per known team, 'unassigned' for the rest."""
    known = set(known_teams) if known_teams is not None else {r.team_id for r in rows if r.team_id}
    by_scope: dict[tuple[date, str], list[DbRow]] = defaultdict(list)
    for row in rows:
        scope = f"team:{row.team_id}" if row.team_id in known else "unassigned"
        by_scope[(row.day, scope)].append(row)
    for (day, scope), scoped in sorted(by_scope.items()):
        insert_pages(conn, day, scope, page_payloads(scoped, page_size, team_aliases))


def spend_log(
    request_id: str,
    start: str,
    *,
    team_id: str | None = "team-eng",
    api_key: str = "k1",
    model: str = "gpt-4o",
    model_group: str | None = "gpt-4o",
    provider: str = "openai",
    spend: float = 0.01,
    prompt_tokens: int = 100,
    completion_tokens: int = 20,
    status: str | None = "success",
    duration_ms: int | None = 500,
    end: str | None = None,
    metadata: dict[str, Any] | str | None = None,
    request_tags: list[str] | str | None = None,
    cache_hit: str | None = "False",
) -> dict[str, Any]:
    """A /spend/logs/v2 row with the [min] fields."""
    return {
        "request_id": request_id,
        "call_type": "acompletion",
        "api_key": api_key,
        "spend": spend,
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "startTime": start,
        "endTime": end or start,
        "model": model,
        "model_group": model_group,
        "custom_llm_provider": provider,
        "user": "",
        "metadata": metadata if metadata is not None else {},
        "cache_hit": cache_hit,
        "request_tags": request_tags if request_tags is not None else [],
        "team_id": team_id,
        "status": status,
        "request_duration_ms": duration_ms,
    }


def insert_spend_logs(
    conn: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]], extracted_at: datetime = EXTRACTED_AT
) -> None:
    """Insert spend-log rows into raw.spend_logs as the loader would (no dedupe here)."""
    frame = pl.DataFrame(
        {
            "request_id": [r["request_id"] for r in rows],
            "start_time": [r["startTime"] for r in rows],
            "payload": [json.dumps(r) for r in rows],
        }
    )
    conn.register("seed_logs", frame)
    conn.execute(
        "INSERT INTO raw.spend_logs SELECT request_id, start_time::TIMESTAMPTZ, "
        "CAST(timezone('UTC', start_time::TIMESTAMPTZ) AS DATE), payload::JSON, ?, 'seed' FROM seed_logs",
        [extracted_at],
    )
    conn.unregister("seed_logs")


def insert_snapshot(conn: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert dimension payloads into raw.teams / raw.keys / raw.models."""
    if table == "teams":
        frame = pl.DataFrame({"id": [r["team_id"] for r in rows], "payload": [json.dumps(r) for r in rows]})
        sql = "INSERT INTO raw.teams SELECT id, payload::JSON, ?, 'seed' FROM seed_dim"
    elif table == "keys":
        frame = pl.DataFrame(
            {
                "id": [r["token"] for r in rows],
                "status": [r.get("status", "active") for r in rows],
                "payload": [json.dumps(r) for r in rows],
            }
        )
        sql = "INSERT INTO raw.keys SELECT id, status, payload::JSON, ?, 'seed' FROM seed_dim"
    elif table == "models":
        frame = pl.DataFrame(
            {
                "name": [r["model_name"] for r in rows],
                "id": [r["model_info"]["id"] for r in rows],
                "payload": [json.dumps(r) for r in rows],
            }
        )
        sql = "INSERT INTO raw.models SELECT name, id, payload::JSON, ?, 'seed' FROM seed_dim"
    else:
        raise ValueError(f"unknown snapshot table {table!r}")
    conn.register("seed_dim", frame)
    conn.execute(sql, [EXTRACTED_AT])
    conn.unregister("seed_dim")


def model_info(
    model_name: str,
    litellm_model: str,
    model_id: str,
    provider: str,
    input_cost: float | None,
    output_cost: float | None,
    cache_read_cost: float | None = None,
) -> dict[str, Any]:
    """A /v2/model/info item."""
    return {
        "model_name": model_name,
        "litellm_params": {"model": litellm_model},
        "model_info": {
            "id": model_id,
            "litellm_provider": provider,
            "input_cost_per_token": input_cost,
            "output_cost_per_token": output_cost,
            "cache_read_input_token_cost": cache_read_cost,
            "cache_creation_input_token_cost": None,
        },
    }


def table_rows(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> list[dict[str, Any]]:
    """Query results as a list of dicts."""
    return conn.sql(sql, params=params or []).pl().to_dicts()


D1 = date(2026, 3, 2)
D2 = date(2026, 3, 3)
TEAM_ALIASES = {"team-eng": "Engineering", "team-data": "Data Science", "team-gone": "Gone Team"}
KNOWN_TEAMS = ("team-eng", "team-data")


def small_daily_rows() -> list[DbRow]:
    """Two days of daily rows: two listed teams, a deleted team and keyless/teamless traffic."""
    return [
        DbRow(
            D1,
            "team-eng",
            "k-eng",
            "gpt-4o",
            "gpt-4o",
            "openai",
            1.0,
            200_000,
            80_000,
            100,
            0,
            40_000,
            key_alias="eng-backend",
        ),
        DbRow(
            D1,
            "team-eng",
            "k-eng",
            "claude-sonnet-4-20250514",
            "claude-sonnet-4",
            "anthropic",
            1.8,
            400_000,
            40_000,
            59,
            1,
            key_alias="eng-backend",
        ),
        DbRow(
            D1,
            "team-data",
            "k-data",
            "gpt-4o",
            "gpt-4o",
            "openai",
            0.25,
            60_000,
            10_000,
            20,
            0,
            key_alias="data-notebooks",
        ),
        DbRow(
            D1,
            "team-gone",
            "k-old",
            "mystery-model",
            "mystery",
            "acme",
            0.5,
            1_000,
            500,
            5,
            1,
            key_alias="old-key",
        ),
        DbRow(
            D1, "", "k-none", "gpt-4o", "gpt-4o", "openai", 0.1, 100, 50, 3, 0, key_alias=None, key_team_id=""
        ),
        DbRow(
            D2,
            "team-eng",
            "k-eng",
            "gpt-4o",
            "gpt-4o",
            "openai",
            2.0,
            300_000,
            90_000,
            150,
            2,
            key_alias="eng-backend",
        ),
        DbRow(
            D2,
            "team-data",
            "k-data",
            "claude-sonnet-4-20250514",
            "claude-sonnet-4",
            "anthropic",
            0.7,
            100_000,
            20_000,
            30,
            0,
            key_alias="data-notebooks",
        ),
    ]


def small_spend_logs() -> list[dict[str, Any]]:
    """Spend logs on D2: 3 timed successes, a failure without duration, legacy encodings, a no-team row."""
    return [
        spend_log(
            "r1",
            "2026-03-03T14:05:00.000+00:00",
            duration_ms=100,
            spend=0.5,
            api_key="k-eng",
            metadata={
                "user_api_key_alias": "eng-backend",
                "additional_usage_values": {"cache_read_input_tokens": 40},
            },
            request_tags=["prod", "checkout"],
            cache_hit="True",
        ),
        spend_log(
            "r2",
            "2026-03-03T14:10:00Z",
            duration_ms=200,
            spend=0.7,
            api_key="k-eng",
            metadata=json.dumps(
                {
                    "user_api_key_alias": "eng-backend",
                    "additional_usage_values": {"prompt_tokens_details": {"cached_tokens": 7}},
                }
            ),
            request_tags='["prod"]',
            cache_hit="None",
        ),
        spend_log(
            "r3", "2026-03-03T14:59:59.999+00:00", duration_ms=400, spend=0.8, api_key="k-eng", cache_hit=""
        ),
        spend_log(
            "r4",
            "2026-03-03T14:02:40.001+00:00",
            end="2026-03-03T14:02:40.812+00:00",
            duration_ms=None,
            spend=0.0,
            status="failure",
            prompt_tokens=0,
            completion_tokens=0,
            metadata={"error_information": {"error_code": "429"}},
        ),
        spend_log(
            "r5",
            "2026-03-03T15:00:00.000+00:00",
            team_id="",
            api_key="",
            model="claude-sonnet-4-20250514",
            model_group=None,
            provider="",
            spend=0.05,
            status=None,
            duration_ms=50,
            request_tags=None,
        ),
    ]


def seed_small(conn: duckdb.DuckDBPyConnection) -> None:
    """The small hand-checkable warehouse the SQL model tests assert against."""
    insert_rows_as_pages(
        conn, small_daily_rows(), page_size=1, team_aliases=TEAM_ALIASES, known_teams=KNOWN_TEAMS
    )
    logs = small_spend_logs()
    insert_spend_logs(conn, logs)
    duplicate = dict(logs[0], spend=0.55)
    insert_spend_logs(conn, [duplicate], extracted_at=datetime(2026, 3, 11, tzinfo=UTC))
    insert_snapshot(
        conn,
        "teams",
        [
            {"team_id": "team-eng", "team_alias": "Engineering", "organization_id": "org-1"},
            {"team_id": "team-data", "team_alias": "Data Science", "organization_id": None},
        ],
    )
    insert_snapshot(
        conn,
        "keys",
        [
            {"token": "k-eng", "key_alias": "eng-backend", "team_id": "team-eng", "status": "active"},
            {"token": "k-data", "key_alias": "data-notebooks", "team_id": "team-data", "status": "active"},
            {"token": "k-old", "key_alias": "old-key", "team_id": "team-gone", "status": "deleted"},
        ],
    )
    insert_snapshot(
        conn,
        "models",
        [
            model_info("gpt-4o", "openai/gpt-4o", "dep-1", "openai", 2.5e-6, 1e-5, 1.25e-6),
            model_info("gpt-4o", "openai/gpt-4o", "dep-2", "openai", 2.5e-6, 1e-5, 1.25e-6),
            model_info(
                "claude-sonnet-4", "anthropic/claude-sonnet-4-20250514", "dep-3", "anthropic", 3e-6, 1.5e-5
            ),
        ],
    )
