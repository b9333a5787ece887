"""The code location loads and wires what the architecture promises: keys, groups, kinds, pools, checks."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._core.definitions.assets.graph.asset_graph import AssetGraph

from pipeline.definitions import defs
from pipeline.defs.partitions import START_DATE_ENV
from pipeline.paths import SQL_DIR
from pipeline.warehouse.models import discover_models

RAW_KEYS = {"raw/team_daily_activity", "raw/spend_logs", "raw/teams", "raw/keys", "raw/models"}
SERVING_KEYS = {"serving/marts_snapshot", "serving/usage_report"}


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    loaded = defs()
    dg.Definitions.validate_loadable(loaded)
    return loaded


@pytest.fixture(scope="module")
def graph(definitions: dg.Definitions) -> AssetGraph:
    return definitions.resolve_asset_graph()


def _keys(graph: AssetGraph) -> set[str]:
    return {key.to_user_string() for key in graph.get_all_asset_keys()}


def test_loads_without_litellm_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LITELLM_BASE_URL", "LITELLM_API_KEY", "LITELLM_USAGE_DB", START_DATE_ENV):
        monkeypatch.delenv(name, raising=False)
    dg.Definitions.validate_loadable(defs())


def test_every_model_file_has_an_asset_and_every_asset_is_materializable(graph: AssetGraph) -> None:
    keys = _keys(graph)
    model_files = {
        f"{layer}/{path.stem}" for layer in ("staging", "marts") for path in (SQL_DIR / layer).glob("*.sql")
    }
    assert model_files, "no SQL models found"
    assert {f"marts/{path.stem}" for path in (SQL_DIR / "marts").glob("*.sql")} <= keys
    assert keys == RAW_KEYS | SERVING_KEYS | model_files
    for key in graph.get_all_asset_keys():
        assert graph.get(key).is_materializable, f"{key.to_user_string()} is an unresolved dependency"


def test_groups_kinds_pools_and_partitions(graph: AssetGraph) -> None:
    partitioned_models = {f"{m.schema}/{m.name}" for m in discover_models() if m.is_partitioned}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        name = key.to_user_string()
        layer = key.path[0]
        assert node.group_name == layer
        assets_def = graph.assets_def_for_key(key)
        assert assets_def.op.pool == "duckdb", name
        if layer == "raw":
            assert {"python", "duckdb"} <= node.kinds
        elif layer in ("staging", "marts"):
            assert {"sql", "duckdb"} <= node.kinds
        should_partition = name in {"raw/team_daily_activity", "raw/spend_logs"} | partitioned_models
        assert (node.partitions_def is not None) == should_partition, name
        if should_partition:
            assert node.partitions_def.timezone == "UTC"
            assert node.backfill_policy == dg.BackfillPolicy.single_run()


def test_model_assets_mirror_the_sql_headers(graph: AssetGraph) -> None:
    for model in discover_models():
        key = dg.AssetKey([model.schema, model.name])
        node = graph.get(key)
        assert node.code_version == model.code_version
        assert {parent.to_user_string() for parent in node.parent_keys} == {
            d.replace(".", "/") for d in model.deps
        }
        assert graph.assets_def_for_key(key).descriptions_by_key[key] == model.description
        if model.schema == "marts":
            assert node.freshness_policy is not None


def test_checks_are_attached_with_the_right_blocking(graph: AssetGraph) -> None:
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    assert ("raw/team_daily_activity", "page_completeness") in checks
    assert ("marts/team_usage_daily", "reconciles_with_litellm_page_totals") in checks
    for model in discover_models():
        assert (f"{model.schema}/{model.name}", "grain_unique") in checks
    for key in graph.asset_check_keys:
        spec = graph.get_check_spec(key)
        assets_def = graph.assets_def_for_key(key.asset_key)
        assert assets_def is not None
        if key.name in ("page_completeness", "reconciles_with_litellm_page_totals", "grain_unique"):
            assert spec.blocking, key
        if key.name == "spend_logs_drift":
            assert not spec.blocking


def test_daily_usage_job_covers_every_layer(definitions: dg.Definitions, graph: AssetGraph) -> None:
    job = definitions.resolve_job_def("daily_usage_job")
    assert job.partitions_def is not None
    assert (
        job.partitions_def.get_partition_keys()[-1]
        == dg.DailyPartitionsDefinition(
            start_date="2025-01-01", timezone="UTC", end_offset=1
        ).get_partition_keys()[-1]
    )
    selected = {key.to_user_string() for key in job.asset_layer.executable_asset_keys}
    assert selected == _keys(graph)


def test_resources_hide_the_api_key(definitions: dg.Definitions) -> None:
    litellm = definitions.resources["litellm"]
    assert isinstance(litellm.api_key, dg.EnvVar)
    assert litellm.api_key.env_var_name == "LITELLM_API_KEY"
