"""SQL model runner: discover the `sql/staging` and `sql/marts` SELECT models, order and build them."""

from __future__ import annotations

import graphlib
import hashlib
import re
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from pipeline.paths import SQL_DIR

MODEL_SCHEMAS: tuple[str, ...] = ("staging", "marts")
FULL_BUILD_CHUNK_DAYS = 31
"""Full builds of partitioned models insert this many days per statement, bounding memory (e.g. quantiles)."""
UPSTREAM_PARTITION_COLUMNS: tuple[str, ...] = ("partition_date", "date")
_HEADER_LINE = re.compile(r"^--\s*(?P<key>[A-Za-z_]+(?:\s+[A-Za-z_][A-Za-z0-9_]*)?)\s*:\s*(?P<value>.*)$")


class ModelError(Exception):
    """A SQL model file is malformed or cannot be built."""


@dataclass(frozen=True, slots=True)
class SqlModel:
    """One `sql/<schema>/<name>.sql` SELECT model and its parsed header."""

    name: str
    schema: str
    path: Path
    sql: str
    description: str
    grain: tuple[str, ...]
    partition_column: str | None
    column_docs: dict[str, str] = field(hash=False, compare=False)
    deps: frozenset[str] = frozenset()
    code_version: str = ""

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def asset_key_path(self) -> tuple[str, str]:
        return (self.schema, self.name)

    @property
    def is_partitioned(self) -> bool:
        return self.partition_column is not None

    @property
    def body(self) -> str:
        """The SELECT without trailing semicolons, ready to be wrapped in a sub-query."""
        return self.sql.strip().rstrip(";").strip()


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What one model build did."""

    model: str
    rows_written: int
    rows_deleted: int
    seconds: float
    full_rebuild: bool
    start: date | None = None
    end: date | None = None


def parse_header(text: str, path: Path) -> tuple[str, tuple[str, ...], str | None, dict[str, str]]:
    """Parse leading `-- key: value` lines into (description, grain, partition_column, column_docs)."""
    meta: dict[str, str] = {}
    column_docs: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("--"):
            break
        match = _HEADER_LINE.match(stripped)
        if match is None:
            continue
        key, value = match.group("key").strip(), match.group("value").strip()
        if key.startswith("column "):
            column_docs[key.split(None, 1)[1]] = value
        else:
            meta[key] = value
    description = meta.get("description", "")
    grain_text = meta.get("grain", "")
    if not description:
        raise ModelError(f"{path}: header has no '-- description:' line")
    if not grain_text:
        raise ModelError(f"{path}: header has no '-- grain:' line")
    grain = tuple(part.strip() for part in grain_text.split(",") if part.strip())
    partition_column = meta.get("partition_column") or None
    return description, grain, partition_column, column_docs


def parse_dependencies(sql: str, path: Path | str = "<sql>") -> frozenset[str]:
    """Schema-qualified tables the SELECT reads (CTE names and table functions excluded)."""
    try:
        tree = sqlglot.parse_one(sql, dialect="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise ModelError(f"{path}: cannot parse SQL: {exc}") from exc
    cte_names = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    deps: set[str] = set()
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue
        if table.db:
            deps.add(f"{table.db}.{table.name}")
        elif table.name not in cte_names:
            raise ModelError(f"{path}: table {table.name!r} must be schema-qualified (e.g. raw.{table.name})")
    return frozenset(deps)


def load_model(path: Path, schema: str) -> SqlModel:
    """Read one model file."""
    text = path.read_text(encoding="utf-8")
    description, grain, partition_column, column_docs = parse_header(text, path)
    return SqlModel(
        name=path.stem,
        schema=schema,
        path=path,
        sql=text,
        description=description,
        grain=grain,
        partition_column=partition_column,
        column_docs=column_docs,
        deps=parse_dependencies(text, path),
        code_version=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def discover_models(sql_dir: Path = SQL_DIR) -> list[SqlModel]:
    """All staging and marts models in dependency order (ties broken by qualified name)."""
    models: dict[str, SqlModel] = {}
    for schema in MODEL_SCHEMAS:
        for path in sorted((sql_dir / schema).glob("*.sql")):
            model = load_model(path, schema)
            models[model.qualified_name] = model
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name, model in models.items():
        sorter.add(name, *sorted(dep for dep in model.deps if dep in models))
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        raise ModelError(f"dependency cycle between models: {exc.args[1]}") from exc
    ordered: list[SqlModel] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        ordered.extend(models[name] for name in ready)
        sorter.done(*ready)
    return ordered


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _table_exists(conn: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?", [schema, name]
    ).fetchone()
    return bool(row and row[0])


def _columns_of_table(conn: duckdb.DuckDBPyConnection, schema: str, name: str) -> list[tuple[str, str]]:
    return [
        (str(col), str(dtype))
        for col, dtype in conn.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
            "ORDER BY column_index",
            [schema, name],
        ).fetchall()
    ]


def _columns_of_query(conn: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[str, str]]:
    return [(str(row[0]), str(row[1])) for row in conn.execute(f"DESCRIBE ({sql})").fetchall()]


def _count(conn: duckdb.DuckDBPyConnection, table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _affected(cursor: duckdb.DuckDBPyConnection) -> int:
    row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _upstream_date_range(conn: duckdb.DuckDBPyConnection, model: SqlModel) -> tuple[date, date] | None:
    """Min and max over the upstream tables' ``partition_date`` or ``date`` column."""
    lows: list[date] = []
    highs: list[date] = []
    for dep in sorted(model.deps):
        schema, name = dep.split(".", 1)
        columns = dict(_columns_of_table(conn, schema, name))
        column = next((c for c in UPSTREAM_PARTITION_COLUMNS if columns.get(c) == "DATE"), None)
        if column is None:
            continue
        row = conn.execute(f"SELECT min({_quote(column)}), max({_quote(column)}) FROM {dep}").fetchone()
        if row and row[0] is not None:
            lows.append(row[0])
            highs.append(row[1])
    return (min(lows), max(highs)) if lows else None


def _insert_range(
    conn: duckdb.DuckDBPyConnection, model: SqlModel, table: str, start: date, end: date
) -> int:
    column = _quote(str(model.partition_column))
    return _affected(
        conn.execute(
            f"INSERT INTO {table} BY NAME SELECT * FROM ({model.body}) AS model_rows "
            f"WHERE model_rows.{column} BETWEEN ? AND ?",
            [start, end],
        )
    )


def _full_build(conn: duckdb.DuckDBPyConnection, model: SqlModel, table: str) -> int:
    """Replace the whole table; partitioned models are filled in FULL_BUILD_CHUNK_DAYS chunks."""
    bounds = _upstream_date_range(conn, model) if model.partition_column else None
    if bounds is None:
        conn.execute(f"CREATE OR REPLACE TABLE {table} AS {model.body}")
        return _count(conn, table)
    conn.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM ({model.body}) AS model_rows LIMIT 0")
    written = 0
    chunk_start, last = bounds
    while chunk_start <= last:
        chunk_end = min(chunk_start + timedelta(days=FULL_BUILD_CHUNK_DAYS - 1), last)
        written += _insert_range(conn, model, table, chunk_start, chunk_end)
        chunk_start = chunk_end + timedelta(days=1)
    return written


def apply_comments(conn: duckdb.DuckDBPyConnection, model: SqlModel) -> None:
    """`COMMENT ON` the table and every documented column that exists."""
    table = f"{_quote(model.schema)}.{_quote(model.name)}"
    conn.execute(f"COMMENT ON TABLE {table} IS {_literal(model.description)}")
    existing = {col for col, _ in _columns_of_table(conn, model.schema, model.name)}
    for column, doc in model.column_docs.items():
        if column in existing:
            conn.execute(f"COMMENT ON COLUMN {table}.{_quote(column)} IS {_literal(doc)}")


def build_model(
    conn: duckdb.DuckDBPyConnection, model: SqlModel, start: date | None = None, end: date | None = None
) -> BuildResult:
    """Build one model in one transaction.

    Partitioned models with a ``start`` replace rows with ``partition_column BETWEEN start AND end`` (end
    defaults to start; a missing table is created empty first). If the table's columns differ from the SQL's,
    it is rebuilt whole. Unpartitioned models, or ``start=None``, are rebuilt whole (``CREATE OR REPLACE``;
    partitioned ones then insert ``FULL_BUILD_CHUNK_DAYS`` at a time over the upstream date range).
    """
    if start is not None and end is None:
        end = start
    if start is not None and end is not None and end < start:
        raise ModelError(f"{model.qualified_name}: end {end} is before start {start}")
    table = f"{_quote(model.schema)}.{_quote(model.name)}"
    began = time.perf_counter()
    incremental = model.partition_column is not None and start is not None
    conn.execute("BEGIN TRANSACTION")
    try:
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(model.schema)}")
        exists = _table_exists(conn, model.schema, model.name)
        if incremental and not exists:
            conn.execute(f"CREATE TABLE {table} AS SELECT * FROM ({model.body}) AS model_rows LIMIT 0")
        elif incremental:
            current = _columns_of_table(conn, model.schema, model.name)
            incremental = current == _columns_of_query(conn, model.body)
        if incremental and start is not None and end is not None:
            column = _quote(str(model.partition_column))
            delete_sql = f"DELETE FROM {table} WHERE {column} BETWEEN ? AND ?"
            deleted = _affected(conn.execute(delete_sql, [start, end]))
            written = _insert_range(conn, model, table, start, end)
            full = False
        else:
            deleted = _count(conn, table) if exists else 0
            written = _full_build(conn, model, table)
            full = True
        apply_comments(conn, model)
        conn.execute("COMMIT")
    except Exception as exc:
        conn.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error):
            raise ModelError(f"building {model.qualified_name} failed: {exc}") from exc
        raise
    return BuildResult(
        model=model.qualified_name,
        rows_written=written,
        rows_deleted=deleted,
        seconds=time.perf_counter() - began,
        full_rebuild=full,
        start=None if full else start,
        end=None if full else end,
    )


def build_all(
    conn: duckdb.DuckDBPyConnection,
    start: date | None = None,
    end: date | None = None,
    models: list[SqlModel] | None = None,
) -> list[BuildResult]:
    """Build every model in dependency order (partitioned ones for the range, dimensions whole)."""
    ordered = discover_models() if models is None else models
    return [build_model(conn, model, start, end) for model in ordered]
