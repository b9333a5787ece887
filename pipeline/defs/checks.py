"""Asset checks: each wraps one `pipeline.warehouse.checks` function on the asset of the table it guards.

Checks on the raw tables are standalone ``@dg.asset_check`` steps (re-runnable on their own). Checks on a SQL
model run inside that model's step right after the build, on the same connection (declared as the asset's
``check_specs``): one step per model instead of one per check keeps runs short on the sqlite-backed instance.
Blocking checks that fail with severity ERROR stop every downstream asset either way.
"""

from collections.abc import Iterable, Sequence
from datetime import date

import dagster as dg
import duckdb

from pipeline.defs.metadata import window_span
from pipeline.defs.partitions import daily_partitions
from pipeline.defs.resources import WarehouseResource
from pipeline.warehouse.checks import CheckSpec, default_checks
from pipeline.warehouse.models import SqlModel, discover_models

POOL = "duckdb"
PARTITIONED_RAW_TABLES = frozenset({"raw.team_daily_activity", "raw.spend_logs"})


def asset_key(spec: CheckSpec) -> dg.AssetKey:
    return dg.AssetKey(list(spec.asset_key_path))


def check_spec(spec: CheckSpec) -> dg.AssetCheckSpec:
    """The Dagster declaration of ``spec`` (name, asset, blocking, description)."""
    return dg.AssetCheckSpec(
        spec.name, asset=asset_key(spec), description=spec.description, blocking=spec.blocking
    )


def run_check(
    spec: CheckSpec, conn: duckdb.DuckDBPyConnection, start: date | None, end: date | None
) -> dg.AssetCheckResult:
    """Evaluate ``spec`` over ``start..end`` (whole table when None) as an `AssetCheckResult`."""
    outcome = spec.fn(conn, start, end)
    metadata = dict(outcome.metadata)
    if start is not None and end is not None:
        metadata.update(window_start=start.isoformat(), window_end=end.isoformat())
    return dg.AssetCheckResult(
        asset_key=asset_key(spec),
        check_name=spec.name,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity(outcome.severity),
        description=outcome.description,
        metadata=metadata,
    )


def checks_by_table(models: Sequence[SqlModel]) -> dict[str, list[CheckSpec]]:
    """Every check of `default_checks`, grouped by the table it guards."""
    grouped: dict[str, list[CheckSpec]] = {}
    for spec in default_checks(list(models)):
        grouped.setdefault(spec.table, []).append(spec)
    return grouped


def standalone_check(spec: CheckSpec, partitions: dg.PartitionsDefinition | None) -> dg.AssetChecksDefinition:
    """``spec`` as its own check step over the run's partition window (whole table when unpartitioned)."""

    @dg.asset_check(
        asset=asset_key(spec),
        name=spec.name,
        description=spec.description,
        blocking=spec.blocking,
        pool=POOL,
        partitions_def=partitions,
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        start, end = window_span(context) if partitions is not None else (None, None)
        with warehouse.write_connection() as conn:
            return run_check(spec, conn, start, end)

    return _check


def asset_checks(
    partitions: dg.PartitionsDefinition, models: Iterable[SqlModel] | None = None
) -> list[dg.AssetChecksDefinition]:
    """Standalone checks for the tables no SQL model builds (the raw layer)."""
    model_list = discover_models() if models is None else list(models)
    built = {m.qualified_name for m in model_list}
    return [
        standalone_check(spec, partitions if spec.table in PARTITIONED_RAW_TABLES else None)
        for table, specs in checks_by_table(model_list).items()
        if table not in built
        for spec in specs
    ]


@dg.definitions
def defs() -> dg.Definitions:
    """Standalone (raw) asset checks."""
    return dg.Definitions(asset_checks=asset_checks(daily_partitions()))
