"""Model discovery, header contract, incremental builds and partition pushdown."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import duckdb
import pytest

from pipeline.warehouse import models as models_module
from pipeline.warehouse.models import (
    ModelError,
    build_all,
    build_model,
    discover_models,
    parse_dependencies,
)
from pipeline.warehouse.schema import raw_ddl_files
from tests import sqlseed
from tests.sqlseed import D1, D2, DbRow

MART_TABLES = {
    "team_usage_daily",
    "model_usage_daily",
    "team_model_usage_daily",
    "hourly_usage",
    "cost_efficiency",
}


def raw_tables() -> set[str]:
    names: set[str] = set()
    for path in raw_ddl_files():
        names.update(re.findall(r"CREATE TABLE IF NOT EXISTS (raw\.\w+)", path.read_text()))
    return names


def test_discovery_order_headers_and_dependencies() -> None:
    models = discover_models()
    names = [m.qualified_name for m in models]
    assert {m.name for m in models if m.schema == "marts"} == MART_TABLES
    produced = raw_tables() | set(names)
    for position, model in enumerate(models):
        assert model.description and model.grain, model.path
        assert model.deps, model.path
        unknown = model.deps - produced
        assert not unknown, f"{model.qualified_name} reads tables nothing produces: {unknown}"
        for dep in model.deps & set(names):
            assert names.index(dep) < position, f"{dep} must build before {model.qualified_name}"
        assert len(model.code_version) == 64
        assert model.asset_key_path == (model.schema, model.name)
        if model.schema == "marts":
            assert model.partition_column == "date"


def test_every_column_is_documented() -> None:
    conn = sqlseed.connect()
    sqlseed.seed_small(conn)
    for model in discover_models():
        build_model(conn, model)
        columns = [r[0] for r in conn.execute(f"DESCRIBE {model.qualified_name}").fetchall()]
        assert set(model.grain) <= set(columns), model.qualified_name
        missing = [c for c in columns if c not in model.column_docs]
        extra = [c for c in model.column_docs if c not in columns]
        assert not missing, f"{model.qualified_name}: columns without '-- column' doc: {missing}"
        assert not extra, f"{model.qualified_name}: docs for absent columns: {extra}"
        comments = dict(
            conn.execute(
                "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
                [model.schema, model.name],
            ).fetchall()
        )
        assert all(comments[c] for c in columns), model.qualified_name
        table_comment = conn.execute(
            "SELECT comment FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
            [model.schema, model.name],
        ).fetchone()
        assert table_comment == (model.description,)


def test_header_and_reference_errors(tmp_path: Path) -> None:
    (tmp_path / "staging").mkdir()
    (tmp_path / "marts").mkdir()
    bad = tmp_path / "staging" / "x.sql"
    bad.write_text("-- grain: a\nSELECT 1 AS a FROM raw.spend_logs\n")
    with pytest.raises(ModelError, match="description"):
        discover_models(tmp_path)
    bad.write_text("-- description: d\nSELECT 1 AS a FROM raw.spend_logs\n")
    with pytest.raises(ModelError, match="grain"):
        discover_models(tmp_path)
    with pytest.raises(ModelError, match="schema-qualified"):
        parse_dependencies("SELECT * FROM spend_logs")
    deps = parse_dependencies(
        "WITH c AS (SELECT * FROM raw.a) SELECT * FROM c, json_each(c.x) AS j JOIN staging.b USING (k)"
    )
    assert deps == {"raw.a", "staging.b"}


def _snapshot_tables(conn: duckdb.DuckDBPyConnection, schema: str) -> None:
    conn.execute(f"CREATE SCHEMA {schema}")
    for model in discover_models():
        conn.execute(
            f"CREATE TABLE {schema}.{model.schema}__{model.name} AS SELECT * FROM {model.qualified_name}"
        )


def _assert_same(conn: duckdb.DuckDBPyConnection, schema: str) -> None:
    for model in discover_models():
        ours = f"{schema}.{model.schema}__{model.name}"
        for left, right in ((ours, model.qualified_name), (model.qualified_name, ours)):
            diff = conn.execute(f"SELECT count(*) FROM (FROM {left} EXCEPT ALL FROM {right})").fetchone()
            assert diff == (0,), f"{model.qualified_name}: incremental differs from full rebuild"


def test_incremental_day_refresh_equals_full_rebuild() -> None:
    conn = sqlseed.connect()
    sqlseed.seed_small(conn)
    build_all(conn)
    before = conn.execute("SELECT sum(spend) FROM marts.team_usage_daily WHERE date = ?", [D2]).fetchone()

    conn.execute("DELETE FROM raw.team_daily_activity WHERE partition_date = ?", [D1])
    changed = [r for r in sqlseed.small_daily_rows() if r.day == D1 and r.team_id != "team-data"]
    changed.append(
        DbRow(D1, "team-new", "k-new", "gpt-4o", "gpt-4o", "openai", 9.0, 10, 5, 1, key_alias="new")
    )
    sqlseed.insert_rows_as_pages(conn, changed, page_size=1, team_aliases={"team-new": "New"})
    sqlseed.insert_spend_logs(conn, [sqlseed.spend_log("r9", "2026-03-02T08:00:00Z", spend=1.5)])

    results = build_all(conn, D1, D1)
    by_name = {r.model: r for r in results}
    assert not by_name["marts.team_usage_daily"].full_rebuild
    assert by_name["marts.team_usage_daily"].rows_deleted == 4
    assert by_name["marts.team_usage_daily"].rows_written == 4
    assert by_name["staging.teams"].full_rebuild
    assert (
        conn.execute("SELECT sum(spend) FROM marts.team_usage_daily WHERE date = ?", [D2]).fetchone()
        == before
    )
    _snapshot_tables(conn, "incr")

    build_all(conn)
    _assert_same(conn, "incr")
    new = conn.execute(
        "SELECT team_alias, spend FROM marts.team_usage_daily WHERE team_id = 'team-new'"
    ).fetchall()
    assert new == [("New", 9.0)]
    assert conn.execute("SELECT count(*) FROM marts.hourly_usage WHERE date = ?", [D1]).fetchone() == (1,)


def _build_breakdown_cells(conn: duckdb.DuckDBPyConnection) -> None:
    cells = next(m for m in discover_models() if m.qualified_name == "staging.daily_breakdown_cells")
    build_model(conn, cells)


def test_first_build_with_range_and_schema_change(tmp_path: Path) -> None:
    conn = sqlseed.connect()
    sqlseed.seed_small(conn)
    _build_breakdown_cells(conn)
    model = next(m for m in discover_models() if m.qualified_name == "staging.daily_activity")
    first = build_model(conn, model, D2, D2)
    assert not first.full_rebuild and first.rows_written == 2
    assert conn.execute("SELECT DISTINCT date FROM staging.daily_activity").fetchall() == [(D2,)]
    again = build_model(conn, model, D2)
    assert (again.rows_deleted, again.rows_written) == (2, 2)

    changed_sql = model.sql.replace("    c.api_key,\n", "    c.api_key,\n    1 AS extra_column,\n", 1)
    assert changed_sql != model.sql
    changed = dataclasses.replace(model, sql=changed_sql)
    rebuilt = build_model(conn, changed, D2)
    assert rebuilt.full_rebuild and rebuilt.rows_written == 7
    assert "extra_column" in [r[0] for r in conn.execute("DESCRIBE staging.daily_activity").fetchall()]


def test_failed_build_rolls_back() -> None:
    conn = sqlseed.connect()
    sqlseed.seed_small(conn)
    _build_breakdown_cells(conn)
    model = next(m for m in discover_models() if m.qualified_name == "staging.daily_activity")
    build_model(conn, model)
    broken = dataclasses.replace(model, sql="SELECT 1 / 'x' AS date")
    with pytest.raises(ModelError, match=r"staging\.daily_activity"):
        build_model(conn, broken, D1)
    assert conn.execute("SELECT count(*) FROM staging.daily_activity").fetchone() == (7,)


def test_date_filter_pushes_down_to_partition_scans() -> None:
    conn = sqlseed.connect()
    sqlseed.seed_small(conn)
    sqlseed.insert_spend_logs(conn, [sqlseed.spend_log("early", "2026-03-02T08:00:00Z")])
    build_all(conn)
    start = end = D2
    for model in discover_models():
        if model.partition_column is None:
            continue
        plan = conn.execute(
            f"EXPLAIN SELECT * FROM ({model.body}) AS t WHERE t.{model.partition_column} BETWEEN ? AND ?",
            [start, end],
        ).fetchall()[0][1]
        upstream = "partition_date" if any(d.startswith("raw.") for d in model.deps) else "date"
        pushed = re.search(rf"\b{upstream}\s*(=|>=|<=)\s*'2026-03-03'::DATE", plan)
        assert pushed or "Empty Result" in plan, f"{model.qualified_name}: date filter not pushed to scans"


def test_chunked_full_build_equals_single_statement(monkeypatch: pytest.MonkeyPatch) -> None:
    conn = sqlseed.connect()
    sqlseed.seed_small(conn)
    sqlseed.insert_spend_logs(conn, [sqlseed.spend_log("early", "2026-03-02T08:00:00Z")])
    monkeypatch.setattr(models_module, "FULL_BUILD_CHUNK_DAYS", 1)
    results = build_all(conn)
    assert all(r.full_rebuild for r in results)
    _snapshot_tables(conn, "chunked")
    monkeypatch.setattr(models_module, "FULL_BUILD_CHUNK_DAYS", 10_000)
    build_all(conn)
    _assert_same(conn, "chunked")
