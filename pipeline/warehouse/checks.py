"""Data-quality checks over raw, staging and marts: plain functions `(conn, start, end) -> CheckOutcome`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import duckdb

from pipeline.metrics import INTEGER_METRICS, METRICS
from pipeline.warehouse.models import SqlModel, discover_models

Severity = Literal["ERROR", "WARN"]

SPEND_REL_TOLERANCE = 1e-9
SPEND_ABS_TOLERANCE = 1e-12
MAX_EXAMPLES = 10


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """Result of one check, ready to be wrapped as a Dagster AssetCheckResult."""

    passed: bool
    severity: Severity
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)


CheckFn = Callable[[duckdb.DuckDBPyConnection, date | None, date | None], CheckOutcome]


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A named check and the table (asset) it is attached to."""

    name: str
    table: str
    fn: CheckFn
    severity: Severity
    blocking: bool
    description: str

    @property
    def asset_key_path(self) -> tuple[str, ...]:
        return tuple(self.table.split("."))


def _range(column: str, start: date | None, end: date | None) -> tuple[str, list[Any]]:
    """A ``WHERE`` clause fragment (always valid) and its parameters for an optional date range."""
    if start is None:
        return "TRUE", []
    return f"{column} BETWEEN ? AND ?", [start, end or start]


def _rows(conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()} for row in rows]


def _table_exists(conn: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".", 1)
    row = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", [schema, name]
    ).fetchone()
    return bool(row and row[0])


def _missing(table: str) -> CheckOutcome:
    return CheckOutcome(False, "ERROR", f"{table} does not exist (build it first)", {"table": table})


def _spend_differs(column_a: str, column_b: str) -> str:
    return (
        f"abs({column_a} - {column_b}) > "
        f"{SPEND_REL_TOLERANCE} * greatest(abs({column_a}), abs({column_b})) + {SPEND_ABS_TOLERANCE}"
    )


def check_page_completeness(
    conn: duckdb.DuckDBPyConnection, start: date | None = None, end: date | None = None
) -> CheckOutcome:
    """Every (partition_date, scope) holds pages exactly 1..total_pages, each once, with one total_pages."""
    where, params = _range("partition_date", start, end)
    sql = f"""
        WITH per_scope AS (
            SELECT
                partition_date, scope,
                count(*) AS rows_present,
                count(DISTINCT page) AS distinct_pages,
                min(page) AS min_page,
                max(page) AS max_page,
                min(total_pages) AS min_total_pages,
                max(total_pages) AS max_total_pages,
                list(page ORDER BY page) AS pages
            FROM raw.team_daily_activity
            WHERE {where}
            GROUP BY partition_date, scope
        )
        SELECT partition_date, scope, pages, min_total_pages AS total_pages,
            CASE
                WHEN min_total_pages IS DISTINCT FROM max_total_pages THEN 'inconsistent total_pages'
                WHEN rows_present <> distinct_pages THEN 'duplicate page'
                WHEN min_page <> 1 OR max_page <> greatest(coalesce(max_total_pages, 0), 1)
                    OR distinct_pages <> greatest(coalesce(max_total_pages, 0), 1)
                    THEN 'missing or extra page'
            END AS problem
        FROM per_scope
        ORDER BY partition_date, scope
    """
    scopes = _rows(conn, sql, params)
    bad = [row for row in scopes if row["problem"] is not None]
    metadata = {
        "scopes_checked": len(scopes),
        "bad_scopes": len(bad),
        "examples": _jsonable(bad[:MAX_EXAMPLES]),
    }
    if bad:
        first = bad[0]
        return CheckOutcome(
            False,
            "ERROR",
            f"{len(bad)} (day, scope) crawls have incomplete or duplicated pages, e.g. "
            f"{first['partition_date']} {first['scope']}: {first['problem']} "
            f"(pages {first['pages']}, total_pages {first['total_pages']})",
            metadata,
        )
    return CheckOutcome(
        True, "ERROR", f"all {len(scopes)} (day, scope) crawls have pages 1..total_pages", metadata
    )


def check_daily_reconciliation(
    conn: duckdb.DuckDBPyConnection, start: date | None = None, end: date | None = None
) -> CheckOutcome:
    """Per day, staged and mart totals equal the sum of LiteLLM's per-page metadata.total_* over all pages."""
    tables = ("staging.daily_activity_pages", "staging.daily_activity", "marts.team_usage_daily")
    for table in tables:
        if not _table_exists(conn, table):
            return _missing(table)
    where, params = _range("date", start, end)
    page_sums = ", ".join(
        f"sum(total_{m}) AS {m}" if m != "total_tokens" else "sum(total_tokens) AS total_tokens"
        for m in METRICS
    )
    metric_sums = ", ".join(f"sum({m}) AS {m}" for m in METRICS)
    diffs: list[dict[str, Any]] = []
    compared = 0
    for layer, table in (("staging", "staging.daily_activity"), ("marts", "marts.team_usage_daily")):
        conditions = [f"p.{m} IS DISTINCT FROM coalesce(s.{m}, 0)" for m in INTEGER_METRICS]
        conditions.append(_spend_differs("p.spend", "coalesce(s.spend, 0)"))
        select_diffs = ", ".join(f"coalesce(s.{m}, 0) - p.{m} AS {m}_diff" for m in METRICS)
        sql = f"""
            WITH p AS (
                    SELECT date, {page_sums} FROM staging.daily_activity_pages WHERE {where} GROUP BY date
                ),
                s AS (SELECT date, {metric_sums} FROM {table} WHERE {where} GROUP BY date)
            SELECT coalesce(p.date, s.date) AS date, ? AS layer,
                p.spend AS pages_spend, s.spend AS table_spend,
                p.api_requests AS pages_api_requests, s.api_requests AS table_api_requests, {select_diffs},
                ({" OR ".join(conditions)}) OR p.date IS NULL AS mismatch
            FROM p FULL OUTER JOIN s ON p.date = s.date
            ORDER BY date
        """
        rows = _rows(conn, sql, [*params, *params, layer])
        compared += len(rows)
        diffs.extend(row for row in rows if row["mismatch"])
    diffs.sort(
        key=lambda r: abs(r["spend_diff"] or 0) + sum(abs(r[f"{m}_diff"] or 0) for m in INTEGER_METRICS),
        reverse=True,
    )
    for row in diffs:
        row.pop("mismatch")
    metadata = {
        "day_layers_compared": compared,
        "mismatches": len(diffs),
        "worst": _jsonable(diffs[:MAX_EXAMPLES]),
    }
    if diffs:
        worst = diffs[0]
        return CheckOutcome(
            False,
            "ERROR",
            f"{len(diffs)} day/layer totals differ from LiteLLM's page totals; worst {worst['date']} "
            f"({worst['layer']}): spend diff {worst['spend_diff']}, "
            f"api_requests diff {worst['api_requests_diff']}",
            metadata,
        )
    return CheckOutcome(True, "ERROR", "staged and mart daily totals equal LiteLLM's page totals", metadata)


def check_grain_unique(table: str, grain: tuple[str, ...], partition_column: str | None = None) -> CheckFn:
    """A check that no two rows of ``table`` share the ``grain`` columns."""
    keys = ", ".join(f'"{c}"' for c in grain)

    def run(
        conn: duckdb.DuckDBPyConnection, start: date | None = None, end: date | None = None
    ) -> CheckOutcome:
        if not _table_exists(conn, table):
            return _missing(table)
        where, params = _range(f'"{partition_column}"', start, end) if partition_column else ("TRUE", [])
        sql = f"""
            SELECT {keys}, count(*) AS copies FROM {table} WHERE {where}
            GROUP BY ALL HAVING count(*) > 1 ORDER BY copies DESC LIMIT {MAX_EXAMPLES}
        """
        dupes = _rows(conn, sql, params)
        metadata = {"table": table, "grain": list(grain), "examples": _jsonable(dupes)}
        if dupes:
            return CheckOutcome(
                False, "ERROR", f"{table} has duplicate rows on grain ({', '.join(grain)})", metadata
            )
        return CheckOutcome(True, "ERROR", f"{table} is unique on ({', '.join(grain)})", metadata)

    return run


def _metric_columns(conn: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    schema, name = table.split(".", 1)
    present = {
        str(r[0])
        for r in conn.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
            [schema, name],
        ).fetchall()
    }
    return [m for m in METRICS if m in present]


def check_no_negative_metrics(table: str, partition_column: str | None = "date") -> CheckFn:
    """A check that no metric column of ``table`` is negative."""

    def run(
        conn: duckdb.DuckDBPyConnection, start: date | None = None, end: date | None = None
    ) -> CheckOutcome:
        if not _table_exists(conn, table):
            return _missing(table)
        columns = _metric_columns(conn, table)
        where, params = _range(f'"{partition_column}"', start, end) if partition_column else ("TRUE", [])
        counts = ", ".join(f"count(*) FILTER (WHERE {c} < 0) AS {c}" for c in columns)
        row = _rows(conn, f"SELECT {counts} FROM {table} WHERE {where}", params)[0] if columns else {}
        negative = {c: n for c, n in row.items() if n}
        metadata = {"table": table, "negative_rows_by_column": negative}
        if negative:
            return CheckOutcome(False, "ERROR", f"{table} has negative metrics: {negative}", metadata)
        return CheckOutcome(True, "ERROR", f"{table} has no negative metrics", metadata)

    return run


def check_request_balance(table: str, partition_column: str | None = "date") -> CheckFn:
    """A check that successful_requests + failed_requests = api_requests on every row of ``table``."""

    def run(
        conn: duckdb.DuckDBPyConnection, start: date | None = None, end: date | None = None
    ) -> CheckOutcome:
        if not _table_exists(conn, table):
            return _missing(table)
        where, params = _range(f'"{partition_column}"', start, end) if partition_column else ("TRUE", [])
        sql = f"""
            SELECT * FROM {table}
            WHERE {where} AND successful_requests + failed_requests <> api_requests
            LIMIT {MAX_EXAMPLES}
        """
        bad = _rows(conn, sql, params)
        metadata = {"table": table, "examples": _jsonable(bad)}
        if bad:
            return CheckOutcome(
                False, "ERROR", f"{table}: successful + failed <> api_requests on some rows", metadata
            )
        return CheckOutcome(
            True, "ERROR", f"{table}: successful + failed = api_requests on every row", metadata
        )

    return run


def check_spend_logs_drift(
    conn: duckdb.DuckDBPyConnection,
    start: date | None = None,
    end: date | None = None,
    *,
    spend_rel_tolerance: float = 0.01,
    request_rel_tolerance: float = 0.01,
) -> CheckOutcome:
    """WARN when spend logs and daily activity disagree per day and team on spend or requests.

    Spend logs can be disabled or purged upstream, and sub-calls count as log rows but 0 daily requests, so
    this is a warning. Days without any spend logs are reported, not compared.
    """
    for table in ("staging.spend_logs", "staging.daily_activity"):
        if not _table_exists(conn, table):
            return _missing(table)
    where, params = _range("date", start, end)
    sql = f"""
        WITH d AS (
            SELECT date, team_id, sum(spend) AS daily_spend, sum(api_requests) AS daily_requests
            FROM staging.daily_activity WHERE {where} GROUP BY date, team_id
        ),
        l AS (
            SELECT date, team_id, sum(spend) AS log_spend, count(*) AS log_requests
            FROM staging.spend_logs WHERE {where} GROUP BY date, team_id
        ),
        log_days AS (SELECT DISTINCT date FROM l),
        j AS (
            SELECT coalesce(d.date, l.date) AS date, coalesce(d.team_id, l.team_id) AS team_id,
                coalesce(d.daily_spend, 0) AS daily_spend, coalesce(l.log_spend, 0) AS log_spend,
                coalesce(d.daily_requests, 0) AS daily_requests, coalesce(l.log_requests, 0) AS log_requests
            FROM d FULL OUTER JOIN l ON d.date = l.date AND d.team_id = l.team_id
        )
        SELECT j.*, j.log_spend - j.daily_spend AS spend_diff,
            j.log_requests - j.daily_requests AS requests_diff,
            j.date IN (SELECT date FROM log_days) AS has_logs
        FROM j
        ORDER BY abs(j.log_spend - j.daily_spend) DESC, abs(j.log_requests - j.daily_requests) DESC
    """
    rows = _rows(conn, sql, [*params, *params])
    compared = [r for r in rows if r["has_logs"]]
    days_without_logs = sorted({r["date"] for r in rows if not r["has_logs"]})
    drifting = [
        r
        for r in compared
        if abs(r["spend_diff"]) > spend_rel_tolerance * max(abs(r["daily_spend"]), abs(r["log_spend"])) + 1e-9
        or abs(r["requests_diff"]) > request_rel_tolerance * max(r["daily_requests"], r["log_requests"])
    ]
    for r in rows:
        r.pop("has_logs")
    metadata = {
        "day_teams_compared": len(compared),
        "drifting": len(drifting),
        "days_without_spend_logs": [d.isoformat() for d in days_without_logs][:MAX_EXAMPLES],
        "top_differences": _jsonable(drifting[:MAX_EXAMPLES]),
    }
    if drifting:
        top = drifting[0]
        return CheckOutcome(
            False,
            "WARN",
            f"{len(drifting)} day/team pairs drift between spend logs and daily activity; largest "
            f"{top['date']} {top['team_id']}: spend diff {top['spend_diff']:.6g}, "
            f"requests diff {top['requests_diff']}",
            metadata,
        )
    return CheckOutcome(True, "WARN", "spend logs agree with daily activity per day and team", metadata)


def model_checks(model: SqlModel) -> list[CheckSpec]:
    """Generic checks for a model: unique grain; for metric tables no negatives and balanced requests."""
    table = model.qualified_name
    specs = [
        CheckSpec(
            "grain_unique",
            table,
            check_grain_unique(table, model.grain, model.partition_column),
            "ERROR",
            True,
            f"One row per ({', '.join(model.grain)})",
        )
    ]
    documented = set(model.column_docs)
    if documented & set(METRICS):
        specs.append(
            CheckSpec(
                "no_negative_metrics",
                table,
                check_no_negative_metrics(table, model.partition_column),
                "ERROR",
                True,
                "No metric is negative",
            )
        )
    if {"api_requests", "successful_requests", "failed_requests"} <= documented:
        specs.append(
            CheckSpec(
                "request_balance",
                table,
                check_request_balance(table, model.partition_column),
                "ERROR",
                True,
                "successful_requests + failed_requests = api_requests",
            )
        )
    return specs


def default_checks(models: list[SqlModel] | None = None) -> list[CheckSpec]:
    """Every check, each attached to the table it guards."""
    specs = [
        CheckSpec(
            "page_completeness",
            "raw.team_daily_activity",
            check_page_completeness,
            "ERROR",
            True,
            "Each (day, scope) crawl has pages exactly 1..total_pages, no duplicates",
        ),
        CheckSpec(
            "reconciles_with_litellm_page_totals",
            "marts.team_usage_daily",
            check_daily_reconciliation,
            "ERROR",
            True,
            "Staged and mart daily totals equal the sum of LiteLLM's per-page metadata totals",
        ),
        CheckSpec(
            "spend_logs_drift",
            "marts.hourly_usage",
            check_spend_logs_drift,
            "WARN",
            False,
            "Spend logs agree with daily activity per day and team (warning only)",
        ),
    ]
    for model in models if models is not None else discover_models():
        specs.extend(model_checks(model))
    return specs
