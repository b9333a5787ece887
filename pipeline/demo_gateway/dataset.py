"""The ground truth a gateway serves: one request stream, the daily rows derived from it, and the lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl

from pipeline.demo_gateway.catalog import KEYS, TEAMS
from pipeline.demo_gateway.config import GatewayConfig
from pipeline.demo_gateway.daily import DailyStore
from pipeline.demo_gateway.listing import build_keys, build_models, build_teams
from pipeline.demo_gateway.synth import daily_rows_from_requests, generate_requests, spend_log_frame


def key_metadata() -> dict[str, dict[str, Any]]:
    """``KeyMetadata`` per key hash as LiteLLM resolves it (deleted keys: ``key_exists`` false)."""
    return {
        k.token: {
            "key_alias": k.key_alias,
            "team_id": k.team_id or None,
            "user_id": k.user_id,
            "user_email": k.user_id,
            "key_exists": not k.deleted,
        }
        for k in KEYS
    }


def team_metadata() -> dict[str, dict[str, Any]]:
    """Entity metadata of existing teams; deleted teams get none (``{}``)."""
    return {t.team_id: {"team_alias": t.team_alias} for t in TEAMS if not t.deleted}


@dataclass(frozen=True)
class Dataset:
    """Ground truth for tests. ``daily_rows`` reflects rows added at runtime by the grow-today fault."""

    first_day: date
    """First closed day."""
    last_day: date
    """Last closed day (= ``end_day - 1``)."""
    end_day: date
    """The partial day ("today")."""
    spend_logs: pl.DataFrame
    """One row per request, sorted by ``start_time``."""
    teams: list[dict[str, Any]]
    keys: list[dict[str, Any]]
    """Active keys as full `/key/list` objects."""
    deleted_keys: list[dict[str, Any]]
    """Deleted keys as served by `/key/list?status=deleted`."""
    models: list[dict[str, Any]]
    deleted_team_ids: tuple[str, ...]
    daily_store: DailyStore = field(repr=False)

    @property
    def daily_rows(self) -> pl.DataFrame:
        """One row per ``LiteLLM_DailyTeamSpend`` row, in ``date DESC, id ASC`` order."""
        return self.daily_store.frame


def build_dataset(cfg: GatewayConfig) -> Dataset:
    """Generate everything the gateway serves from ``cfg`` (seeded, deterministic)."""
    stream = generate_requests(cfg)
    logs = spend_log_frame(stream)
    rows = daily_rows_from_requests(logs, cfg.seed)
    return Dataset(
        first_day=stream.first_day,
        last_day=stream.end_day - timedelta(days=1),
        end_day=stream.end_day,
        spend_logs=logs,
        teams=build_teams(logs, stream.first_day),
        keys=build_keys(logs, stream.first_day, deleted=False),
        deleted_keys=build_keys(logs, stream.first_day, deleted=True),
        models=build_models(),
        deleted_team_ids=tuple(t.team_id for t in TEAMS if t.deleted),
        daily_store=DailyStore(rows, key_metadata(), team_metadata()),
    )
