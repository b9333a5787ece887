"""Run ``daily_usage_job`` on the project's persistent Dagster instance (shared with ``dagster dev``)."""

from __future__ import annotations

import os
import warnings as warnings_module
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg
from dagster._core.instance.ref import InstanceRef
from dagster._utils.error import SerializableErrorInfo

from pipeline.defs.jobs import DAILY_USAGE_JOB
from pipeline.defs.partitions import range_tags
from pipeline.paths import DATA_DIR, PROJECT_ROOT

INSTANCE_HOME_ENV = "LITELLM_USAGE_DAGSTER_HOME"
DEFAULT_INSTANCE_HOME = DATA_DIR / "dagster"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class RunOutcome:
    """The job run: its id, success, failures (step or check -> first error line) and warnings."""

    run_id: str
    success: bool
    failures: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)


def instance_home(environ: Mapping[str, str] | None = None) -> Path:
    """Instance storage: ``$LITELLM_USAGE_DAGSTER_HOME``, else ``<repo>/data/dagster`` (like dagster dev)."""
    env = os.environ if environ is None else environ
    value = env.get(INSTANCE_HOME_ENV, "").strip()
    return Path(value).resolve() if value else DEFAULT_INSTANCE_HOME


def instance_ref(environ: Mapping[str, str] | None = None) -> InstanceRef:
    """The repo's ``dagster.yaml`` with its storage anchored at `instance_home` instead of the cwd.

    Runs, event logs and schedules live in the same sqlite storage the UI reads. Raw stdout/stderr capture
    (compute logs) is off for these in-process runs: it costs ~0.5 s per step and the CLI prints to the
    terminal anyway; the structured event log of every step is still in the UI.
    """
    home = instance_home(environ)
    overrides = {
        "storage": {"sqlite": {"base_dir": str(home / "storage")}},
        "local_artifact_storage": {
            "module": "dagster._core.storage.root",
            "class": "LocalArtifactStorage",
            "config": {"base_dir": str(home)},
        },
        "compute_logs": {
            "module": "dagster._core.storage.noop_compute_log_manager",
            "class": "NoOpComputeLogManager",
            "config": {},
        },
    }
    return InstanceRef.from_dir(str(home), config_dir=str(PROJECT_ROOT), overrides=overrides)


@contextmanager
def open_instance(environ: Mapping[str, str] | None = None) -> Iterator[dg.DagsterInstance]:
    """The persistent instance the UI uses: ``$DAGSTER_HOME`` if set, else the repo's (see `instance_ref`)."""
    env = os.environ if environ is None else environ
    if env.get("DAGSTER_HOME", "").strip() and not env.get(INSTANCE_HOME_ENV, "").strip():
        with dg.DagsterInstance.get() as instance:
            yield instance
        return
    instance_home(environ).mkdir(parents=True, exist_ok=True)
    with dg.DagsterInstance.from_ref(instance_ref(environ)) as instance:
        yield instance


def run_job(instance: dg.DagsterInstance, start: date, end: date, log_level: str = "WARNING") -> RunOutcome:
    """Run ``daily_usage_job`` over ``start..end`` as one single-run backfill on ``instance``."""
    from pipeline.definitions import defs

    if log_level not in LOG_LEVELS:
        raise ValueError(f"log_level must be one of {LOG_LEVELS}")
    with warnings_module.catch_warnings():
        warnings_module.simplefilter("ignore", dg.BetaWarning)
        warnings_module.simplefilter("ignore", dg.PreviewWarning)
        job = defs().resolve_job_def(DAILY_USAGE_JOB)
    result = job.execute_in_process(
        instance=instance,
        tags=range_tags(start.isoformat(), end.isoformat()),
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        raise_on_error=False,
    )
    failures: dict[str, str] = {}
    warnings: dict[str, str] = {}
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            name = f"check {evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            target = warnings if evaluation.severity == dg.AssetCheckSeverity.WARN else failures
            target[name] = evaluation.description or "failed"
    for event in result.all_events:
        if event.is_step_failure and event.step_key:
            failures.setdefault(event.step_key, _root_message(event.step_failure_data.error))
    return RunOutcome(result.run_id, result.success and not failures, failures, warnings)


def _root_message(error: SerializableErrorInfo | None) -> str:
    """The innermost cause's first line as ``ErrorClass: message`` (Dagster wraps user errors)."""
    if error is None:
        return "failed"
    while error.cause is not None:
        error = error.cause
    lines = error.message.strip().splitlines()
    message = lines[0] if lines else ""
    qualified, sep, rest = message.partition(": ")
    if sep and error.cls_name and qualified.endswith(error.cls_name):
        message = f"{error.cls_name}: {rest}"
    return message or error.cls_name or "failed"
