"""`litellm-usage refresh` helpers: source selection, ranges, instance location, expected errors."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from dagster._core.instance.ref import InstanceRef

from pipeline import orchestration, refresh
from pipeline.cli import main
from pipeline.paths import PROJECT_ROOT


def test_default_range_is_yesterday_and_today() -> None:
    assert refresh.default_range(date(2026, 3, 1)) == (date(2026, 2, 28), date(2026, 3, 1))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, (date(2026, 2, 28), date(2026, 3, 1))),
        (date(2026, 2, 1), None, (date(2026, 2, 1), date(2026, 3, 1))),
        (None, date(2026, 1, 5), (date(2026, 1, 5), date(2026, 1, 5))),
        (date(2026, 1, 1), date(2026, 1, 3), (date(2026, 1, 1), date(2026, 1, 3))),
    ],
)
def test_resolve_range(start: date | None, end: date | None, expected: tuple[date, date]) -> None:
    assert refresh.resolve_range(start, end, date(2026, 2, 28), date(2026, 3, 1)) == expected


def test_validate_range_rejects_reversed_early_and_future_ranges() -> None:
    today = refresh.utc_today()
    with pytest.raises(refresh.RefreshError, match="after"):
        refresh.validate_range(today, today - timedelta(days=1))
    with pytest.raises(refresh.RefreshError, match="first partition 2025-01-01"):
        refresh.validate_range(date(2024, 12, 31), date(2025, 1, 2), {})
    with pytest.raises(refresh.RefreshError, match="future"):
        refresh.validate_range(today, today + timedelta(days=1))
    assert refresh.validate_range(date(2025, 1, 1), today, {}) == (date(2025, 1, 1), today)


def test_real_gateway_is_selected_when_the_base_url_is_set() -> None:
    env = {"LITELLM_BASE_URL": "https://llm.example.com/", "LITELLM_API_KEY": "sk-test-secret"}
    with refresh.select_source(None, None, env) as source:
        assert not source.is_demo
        assert source.base_url == "https://llm.example.com/"
        assert (source.start, source.end) == refresh.default_range()
        assert "sk-test-secret" not in repr(source)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LITELLM_BASE_URL": "https://llm.example.com"}, "LITELLM_API_KEY is empty"),
        ({"LITELLM_BASE_URL": "ftp://llm.example.com", "LITELLM_API_KEY": "k"}, "http"),
    ],
)
def test_bad_real_configuration_is_a_refresh_error(env: dict[str, str], message: str) -> None:
    with pytest.raises(refresh.RefreshError, match=message), refresh.select_source(None, None, env):
        pass


def test_cli_reports_expected_errors_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LITELLM_BASE_URL", "https://llm.example.com")
    monkeypatch.delenv("LITELLM_API_KEY", raising=False)
    assert main(["refresh"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        "litellm-usage refresh: LITELLM_BASE_URL is set but LITELLM_API_KEY is empty: set the LiteLLM API key"
    )
    assert main(["refresh", "--start", "2026-01-05", "--end", "2026-01-01"]) == 1
    assert "after --end" in capsys.readouterr().err
    assert "Traceback" not in err


def test_patched_environ_restores_previous_values() -> None:
    env = {"KEEP": "1", "CHANGE": "old"}
    with refresh.patched_environ({"CHANGE": "new", "ADDED": "x"}, env):
        assert env == {"KEEP": "1", "CHANGE": "new", "ADDED": "x"}
    assert env == {"KEEP": "1", "CHANGE": "old"}


def test_instance_defaults_to_the_repo_data_dir_like_dagster_dev(tmp_path: Path) -> None:
    """Same storage as ``dagster dev`` run from the repo root (./dagster.yaml, data/dagster/storage)."""
    assert orchestration.instance_home({}) == PROJECT_ROOT / "data" / "dagster"
    ref = orchestration.instance_ref({orchestration.INSTANCE_HOME_ENV: str(tmp_path)})
    assert ref.storage_data is not None
    assert ref.storage_data.config_dict == {"base_dir": str(tmp_path / "storage")}
    assert ref.local_artifact_storage_data.config_dict == {"base_dir": str(tmp_path)}
    settings = ref.settings
    assert settings["concurrency"]["pools"] == {"default_limit": 1, "granularity": "op"}
    assert settings["telemetry"] == {"enabled": False}


def test_cli_instance_matches_what_dagster_dev_uses_from_the_repo_root(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`dagster dev` without DAGSTER_HOME: InstanceRef.from_dir(<tmp>, config_dir=cwd), paths from the cwd."""
    monkeypatch.chdir(PROJECT_ROOT)
    dev = InstanceRef.from_dir(str(tmp_path), config_dir=str(PROJECT_ROOT))
    cli = orchestration.instance_ref({})
    for dev_data, cli_data in (
        (dev.storage_data, cli.storage_data),
        (dev.local_artifact_storage_data, cli.local_artifact_storage_data),
    ):
        assert dev_data is not None and cli_data is not None
        assert Path(dev_data.config_dict["base_dir"]).resolve() == Path(cli_data.config_dict["base_dir"])
