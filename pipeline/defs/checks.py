"""Asset checks: each wraps one `pipeline.warehouse.checks` function on the asset of the table it guards."""

from collections.abc import Iterable

import dagster as dg

from pipeline.defs.metadata import window_span
from pipeline.defs.partitions import daily_partitions
from pipeline.defs.resources import WarehouseResource
from pipeline.warehouse.checks import CheckSpec, default_checks
from pipeline.warehouse.models import SqlModel, discover_models

POOL = "duckdb"
PARTITIONED_RAW_TABLES = frozenset({"raw.team_daily_activity", "raw.spend_logs"})


def check_definition(spec: CheckSpec, partitions: dg.PartitionsDefinition | None) -> dg.AssetChecksDefinition:
    """``spec`` as a Dagster check over the run's partition window (whole table when unpartitioned)."""

    @dg.asset_check(
        asset=dg.AssetKey(list(spec.asset_key_path)),
        name=spec.name,
        description=spec.description,
        blocking=spec.blocking,
        pool=POOL,
        partitions_def=partitions,
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        start, end = window_span(context) if partitions is not None else (None, None)
        with warehouse.write_connection() as conn:
            outcome = spec.fn(conn, start, end)
        metadata = dict(outcome.metadata)
        if start is not None and end is not None:
            metadata.update(window_start=start.isoformat(), window_end=end.isoformat())
        return dg.AssetCheckResult(
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity(outcome.severity),
            description=outcome.description,
            metadata=metadata,
        )

    return _check


def asset_checks(
    partitions: dg.PartitionsDefinition, models: Iterable[SqlModel] | None = None
) -> list[dg.AssetChecksDefinition]:
    """Every check of `default_checks`, partitioned like the asset it is attached to."""
    model_list = discover_models() if models is None else list(models)
    partitioned = PARTITIONED_RAW_TABLES | {m.qualified_name for m in model_list if m.is_partitioned}
    return [
        check_definition(spec, partitions if spec.table in partitioned else None)
        for spec in default_checks(model_list)
    ]


@dg.definitions
def defs() -> dg.Definitions:
    """All asset checks."""
    return dg.Definitions(asset_checks=asset_checks(daily_partitions()))
