from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.warehouse.schema import ensure_schemas, raw_ddl_files

CONTRACT = {
    "team_daily_activity": [
        ("partition_date", "DATE"),
        ("scope", "VARCHAR"),
        ("team_id", "VARCHAR"),
        ("page", "INTEGER"),
        ("total_pages", "INTEGER"),
        ("endpoint", "VARCHAR"),
        ("request_params", "JSON"),
        ("payload", "JSON"),
        ("payload_bytes", "BIGINT"),
        ("extracted_at", "TIMESTAMP WITH TIME ZONE"),
        ("run_id", "VARCHAR"),
    ],
    "spend_logs": [
        ("request_id", "VARCHAR"),
        ("start_time", "TIMESTAMP WITH TIME ZONE"),
        ("partition_date", "DATE"),
        ("payload", "JSON"),
        ("extracted_at", "TIMESTAMP WITH TIME ZONE"),
        ("run_id", "VARCHAR"),
    ],
    "teams": [
        ("team_id", "VARCHAR"),
        ("payload", "JSON"),
        ("extracted_at", "TIMESTAMP WITH TIME ZONE"),
        ("run_id", "VARCHAR"),
    ],
    "keys": [
        ("token", "VARCHAR"),
        ("status", "VARCHAR"),
        ("payload", "JSON"),
        ("extracted_at", "TIMESTAMP WITH TIME ZONE"),
        ("run_id", "VARCHAR"),
    ],
    "models": [
        ("model_name", "VARCHAR"),
        ("model_id", "VARCHAR"),
        ("payload", "JSON"),
        ("extracted_at", "TIMESTAMP WITH TIME ZONE"),
        ("run_id", "VARCHAR"),
    ],
    "extract_source": [
        ("source_url", "VARCHAR"),
        ("is_demo", "BOOLEAN"),
        ("first_loaded_at", "TIMESTAMP WITH TIME ZONE"),
        ("last_loaded_at", "TIMESTAMP WITH TIME ZONE"),
    ],
}


def test_raw_tables_match_the_contract_and_ddl_is_idempotent(tmp_path: Path) -> None:
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schemas(conn)
    conn.execute("INSERT INTO raw.teams VALUES ('t1', '{}', now(), 'r1')")
    ensure_schemas(conn)
    assert conn.execute("SELECT count(*) FROM raw.teams").fetchone() == (1,)
    schemas = {r[0] for r in conn.execute("SELECT schema_name FROM information_schema.schemata").fetchall()}
    assert {"raw", "staging", "marts"} <= schemas
    assert {p.stem for p in raw_ddl_files()} == set(CONTRACT)
    for table, columns in CONTRACT.items():
        found = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND table_name = ? ORDER BY ordinal_position",
            [table],
        ).fetchall()
        assert found == columns, table
        comment = conn.execute(
            "SELECT comment FROM duckdb_tables() WHERE schema_name = 'raw' AND table_name = ?", [table]
        ).fetchone()
        assert comment and comment[0]
        uncommented = conn.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'raw' AND table_name = ? "
            "AND (comment IS NULL OR comment = '')",
            [table],
        ).fetchall()
        assert uncommented == []
    conn.close()
