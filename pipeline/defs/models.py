"""One asset per SQL model (`sql/staging/*.sql`, `sql/marts/*.sql`), built by `pipeline.warehouse.models`."""

from collections.abc import Iterable, Sequence
from datetime import timedelta

import dagster as dg

from pipeline.defs.checks import check_spec, checks_by_table, run_check
from pipeline.defs.metadata import column_schema, table_metadata, table_preview, window_span
from pipeline.defs.partitions import daily_partitions
from pipeline.defs.resources import WarehouseResource
from pipeline.warehouse.checks import CheckSpec
from pipeline.warehouse.models import SqlModel, build_model, discover_models

POOL = "duckdb"
MART_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=30))


def dep_key(table: str) -> dg.AssetKey:
    """``raw.spend_logs`` -> ``raw/spend_logs`` (asset keys mirror tables)."""
    return dg.AssetKey(table.split("."))


def model_asset(
    model: SqlModel, partitions: dg.PartitionsDefinition, checks: Sequence[CheckSpec] = ()
) -> dg.AssetsDefinition:
    """The asset that builds ``model`` for the run's partition window (whole table when unpartitioned).

    ``checks`` run right after the build, on the same connection, over the same window.
    """
    partitioned = model.is_partitioned

    @dg.asset(
        key=dg.AssetKey(list(model.asset_key_path)),
        group_name=model.schema,
        description=model.description,
        kinds={"sql", "duckdb"},
        tags={"layer": model.schema},
        code_version=model.code_version,
        deps=[dep_key(dep) for dep in sorted(model.deps)],
        partitions_def=partitions if partitioned else None,
        backfill_policy=dg.BackfillPolicy.single_run() if partitioned else None,
        pool=POOL,
        freshness_policy=MART_FRESHNESS if model.schema == "marts" else None,
        check_specs=[check_spec(spec) for spec in checks],
        metadata={
            "dagster/table_name": model.qualified_name,
            "grain": ", ".join(model.grain),
            "partition_column": model.partition_column or "(rebuilt whole)",
            "sql_file": dg.MetadataValue.path(str(model.path)),
        },
    )
    def _build(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        start, end = window_span(context) if partitioned else (None, None)
        with warehouse.write_connection() as conn:
            result = build_model(conn, model, start, end)
            metadata = table_metadata(
                conn, model.qualified_name, result.rows_written if partitioned else None
            )
            metadata["dagster/column_schema"] = column_schema(conn, model.qualified_name, model.column_docs)
            metadata["preview"] = table_preview(conn, model.qualified_name)
            results = [run_check(spec, conn, start, end) for spec in checks]
        context.log.info(
            "%s: %d rows written, %d deleted in %.2f s",
            model.qualified_name,
            result.rows_written,
            result.rows_deleted,
            result.seconds,
        )
        metadata.update(
            rows_written=result.rows_written,
            rows_deleted=result.rows_deleted,
            full_rebuild=result.full_rebuild,
            duration_s=dg.MetadataValue.float(round(result.seconds, 3)),
        )
        if start is not None and end is not None:
            metadata.update(window_start=start.isoformat(), window_end=end.isoformat())
        return dg.MaterializeResult(metadata=metadata, check_results=results)

    return _build


def model_assets(
    partitions: dg.PartitionsDefinition, models: Iterable[SqlModel] | None = None
) -> list[dg.AssetsDefinition]:
    """Assets for every discovered model, each with the checks on its table."""
    model_list = discover_models() if models is None else list(models)
    checks = checks_by_table(model_list)
    return [model_asset(model, partitions, checks.get(model.qualified_name, ())) for model in model_list]


@dg.definitions
def defs() -> dg.Definitions:
    """Staging and mart model assets."""
    return dg.Definitions(assets=model_assets(daily_partitions()))
