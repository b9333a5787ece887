"""Serving assets: the published read-only marts snapshot and the HTML usage report."""

import time
from collections.abc import Iterable

import dagster as dg

from pipeline.defs.resources import WarehouseResource
from pipeline.warehouse.models import discover_models
from pipeline.warehouse.snapshot import publish_snapshot

POOL = "duckdb"
REPORT_NAME = "report.html"
SNAPSHOT_KEY = dg.AssetKey(["serving", "marts_snapshot"])
REPORT_KEY = dg.AssetKey(["serving", "usage_report"])


def serving_assets(mart_keys: Iterable[dg.AssetKey]) -> list[dg.AssetsDefinition]:
    """The snapshot (after every mart) and the report (after the snapshot)."""

    @dg.asset(
        key=SNAPSHOT_KEY,
        group_name="serving",
        kinds={"duckdb"},
        tags={"layer": "serving"},
        description="Read-only copy of every marts.* table (<db>.marts.duckdb), swapped in atomically.",
        deps=sorted(mart_keys, key=lambda key: key.to_user_string()),
        pool=POOL,
    )
    def marts_snapshot(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        started = time.monotonic()
        path = publish_snapshot(warehouse.db_path())
        context.log.info("published %s", path)
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(path)),
                "bytes": dg.MetadataValue.int(path.stat().st_size),
                "duration_s": dg.MetadataValue.float(round(time.monotonic() - started, 3)),
            }
        )

    @dg.asset(
        key=REPORT_KEY,
        group_name="serving",
        kinds={"html", "plotly"},
        tags={"layer": "serving"},
        description="Self-contained HTML usage report (offline plotly) next to the warehouse: report.html.",
        deps=[SNAPSHOT_KEY],
        pool=POOL,
    )
    def usage_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        from pipeline.report import build_report

        started = time.monotonic()
        db_path = warehouse.db_path()
        path = build_report(db_path, db_path.parent / REPORT_NAME)
        context.log.info("wrote %s", path)
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(path)),
                "bytes": dg.MetadataValue.int(path.stat().st_size),
                "duration_s": dg.MetadataValue.float(round(time.monotonic() - started, 3)),
            }
        )

    return [marts_snapshot, usage_report]


@dg.definitions
def defs() -> dg.Definitions:
    """Serving assets downstream of every mart."""
    marts = [dg.AssetKey(list(m.asset_key_path)) for m in discover_models() if m.schema == "marts"]
    return dg.Definitions(assets=serving_assets(marts))
