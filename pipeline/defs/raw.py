"""Raw assets: extract from LiteLLM into a local spool, then load the window in one write transaction."""

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from pipeline.defs.metadata import table_metadata, table_preview, window_bounds
from pipeline.defs.partitions import daily_partitions, window_days
from pipeline.defs.resources import LiteLLMResource, WarehouseResource
from pipeline.litellm.client import LiteLLMClient
from pipeline.litellm.errors import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    NotFoundError,
    PageLimitExceededError,
)
from pipeline.litellm.pages import ExtractStats
from pipeline.warehouse.errors import MixedSourceError, RawDataError
from pipeline.warehouse.raw_load import (
    DAILY_TABLE,
    SPEND_TABLE,
    ExtractSource,
    LoadResult,
    load_daily_activity,
    load_reference,
    load_spend_logs,
    public_source_url,
)
from pipeline.warehouse.spool import spool_daily_activity, spool_directory, spool_spend_logs

POOL = "duckdb"
KINDS = {"python", "duckdb"}
RAW_RETRY = dg.RetryPolicy(
    max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
PERMANENT_ERRORS: tuple[type[Exception], ...] = (
    ConfigurationError,
    AuthenticationError,
    NotFoundError,
    BadRequestError,
    PageLimitExceededError,
    MixedSourceError,
    RawDataError,
)
REFERENCE_TABLES = ("teams", "keys", "models")
DAILY_PREVIEW = "partition_date, scope, team_id, page, total_pages, payload_bytes, extracted_at"
SPEND_PREVIEW = "request_id, start_time, partition_date, payload ->> 'model' AS model, extracted_at"


@contextmanager
def fail_fast_on_permanent_errors() -> Iterator[None]:
    """Errors a step retry cannot fix (config, auth, bad request, mixed sources, bad data) skip retries."""
    try:
        yield
    except PERMANENT_ERRORS as exc:
        raise dg.Failure(description=f"{type(exc).__name__}: {exc}", allow_retries=False) from exc


def _source(litellm: LiteLLMResource, client: LiteLLMClient) -> ExtractSource:
    return ExtractSource(litellm.base_url, client.source_is_demo)


def _extract_metadata(
    stats: ExtractStats, source: ExtractSource, started: float, start: datetime, end: datetime
) -> dict[str, Any]:
    return {
        "source": "demo gateway (synthetic)" if source.is_demo else "LiteLLM",
        "source_url": public_source_url(source.url),
        "requests": stats.requests,
        "pages_fetched": stats.pages,
        "bytes": dg.MetadataValue.int(stats.bytes),
        "retries": stats.retries,
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "duration_s": dg.MetadataValue.float(round(time.monotonic() - started, 3)),
    }


def _load_metadata(result: LoadResult) -> dict[str, Any]:
    return {
        "rows": result.rows_inserted,
        "rows_replaced": result.rows_deleted,
        "duplicates_dropped": result.duplicates_dropped,
        "out_of_range_dropped": result.out_of_range_dropped,
        "load_s": dg.MetadataValue.float(round(result.seconds, 3)),
    }


def raw_assets(
    partitions: dg.PartitionsDefinition, retry_policy: dg.RetryPolicy | None = RAW_RETRY
) -> list[dg.AssetsDefinition]:
    """The two partitioned raw assets and the reference snapshot multi-asset."""

    @dg.asset(
        key=["raw", "team_daily_activity"],
        group_name="raw",
        kinds=KINDS,
        tags={"layer": "raw"},
        description=(
            "LiteLLM /team/daily/activity pages as received, one row per (day, scope, page); one scope "
            "per team "
            "plus 'unassigned'. The window is extracted first, then replaced in one transaction."
        ),
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        retry_policy=retry_policy,
        pool=POOL,
        metadata={"dagster/table_name": DAILY_TABLE},
    )
    def team_daily_activity(
        context: dg.AssetExecutionContext, litellm: LiteLLMResource, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        started = time.monotonic()
        start, end = window_bounds(context)
        days = window_days(start, end)
        with fail_fast_on_permanent_errors(), spool_directory() as folder:
            with litellm.get_client() as client:
                teams = client.list_teams()
                scopes = client.daily_scopes(str(team["team_id"]) for team in teams if team.get("team_id"))
                spool = spool_daily_activity(client.iter_daily_activity(days, scopes), folder)
                source, stats = _source(litellm, client), dataclasses.replace(client.stats)
            context.log.info("extracted %d pages (%d bytes) for %d days", spool.pages, spool.bytes, len(days))
            with warehouse.write_connection() as conn:
                result = load_daily_activity(
                    conn, spool, days, context.run.run_id, datetime.now(UTC), source=source
                )
                metadata = table_metadata(conn, DAILY_TABLE, result.rows_inserted)
                metadata["preview"] = table_preview(conn, DAILY_TABLE, DAILY_PREVIEW)
        metadata.update(_extract_metadata(stats, source, started, start, end), scopes=len(scopes))
        metadata.update(_load_metadata(result))
        return dg.MaterializeResult(metadata=metadata)

    @dg.asset(
        key=["raw", "spend_logs"],
        group_name="raw",
        kinds=KINDS,
        tags={"layer": "raw"},
        description=(
            "LiteLLM /spend/logs/v2 rows, one per request (deduplicated on request_id), for the window's "
            "closed range up to now. Extracted first, then replaced in one transaction."
        ),
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        retry_policy=retry_policy,
        pool=POOL,
        metadata={"dagster/table_name": SPEND_TABLE},
    )
    def spend_logs(
        context: dg.AssetExecutionContext, litellm: LiteLLMResource, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        started = time.monotonic()
        start, end = window_bounds(context)
        days = window_days(start, end)
        # LiteLLM compares startTime <= end at .000, so the bound is the next midnight (rows exactly on it are
        # dropped by the loader as out of range) to keep the last second's fractions inside the window.
        last_second = min(end, datetime.now(UTC).replace(microsecond=0))
        with fail_fast_on_permanent_errors(), spool_directory() as folder:
            with litellm.get_client() as client:
                pages = client.iter_spend_logs(start, last_second) if last_second >= start else iter(())
                spool = spool_spend_logs(pages, folder)
                source, stats = _source(litellm, client), dataclasses.replace(client.stats)
            context.log.info("extracted %d spend-log pages (%d rows)", spool.pages, spool.items)
            with warehouse.write_connection() as conn:
                result = load_spend_logs(
                    conn, spool, days, context.run.run_id, datetime.now(UTC), source=source
                )
                metadata = table_metadata(conn, SPEND_TABLE, result.rows_inserted)
                metadata["preview"] = table_preview(conn, SPEND_TABLE, SPEND_PREVIEW)
        metadata.update(_extract_metadata(stats, source, started, start, end))
        metadata.update(_load_metadata(result), windows_split=stats.windows_split)
        return dg.MaterializeResult(metadata=metadata)

    @dg.multi_asset(
        specs=[
            dg.AssetSpec(
                ["raw", table],
                group_name="raw",
                kinds=KINDS,
                tags={"layer": "raw"},
                description=f"Reference snapshot of LiteLLM {table}, replaced whole on every run.",
                metadata={"dagster/table_name": f"raw.{table}"},
            )
            for table in REFERENCE_TABLES
        ],
        name="raw_reference",
        retry_policy=retry_policy,
        pool=POOL,
    )
    def reference(
        context: dg.AssetExecutionContext, litellm: LiteLLMResource, warehouse: WarehouseResource
    ) -> Iterator[dg.MaterializeResult]:
        started = time.monotonic()
        with fail_fast_on_permanent_errors():
            with litellm.get_client() as client:
                teams, keys = client.list_teams(), client.list_keys()
                deleted_keys, models = client.list_deleted_keys(), client.list_models()
                source, stats = _source(litellm, client), dataclasses.replace(client.stats)
            now = datetime.now(UTC)
            with warehouse.write_connection() as conn:
                results = load_reference(
                    conn,
                    teams=teams,
                    keys=keys,
                    deleted_keys=deleted_keys,
                    models=models,
                    run_id=context.run.run_id,
                    extracted_at=now,
                    source=source,
                )
                tables = {table: table_metadata(conn, table, None) for table in results}
        for table, result in results.items():
            metadata = {**tables[table], **_load_metadata(result)}
            metadata.update(
                source="demo gateway (synthetic)" if source.is_demo else "LiteLLM",
                requests=stats.requests,
                duration_s=dg.MetadataValue.float(round(time.monotonic() - started, 3)),
            )
            yield dg.MaterializeResult(asset_key=dg.AssetKey(table.split(".")), metadata=metadata)

    return [team_daily_activity, spend_logs, reference]


@dg.definitions
def defs() -> dg.Definitions:
    """Raw extraction assets."""
    return dg.Definitions(assets=raw_assets(daily_partitions()))
