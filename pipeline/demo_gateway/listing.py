"""`/v2/team/list`, `/key/list` and `/v2/model/info` payloads (LITELLM_API.md §5)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl

from pipeline.demo_gateway.catalog import KEYS, MODELS, TEAMS
from pipeline.demo_gateway.errors import int_param


def _ts(day: date) -> str:
    return f"{day.isoformat()}T09:00:00.000000Z"


def build_teams(spend_logs: pl.DataFrame, created: date) -> list[dict[str, Any]]:
    """Active teams as `/v2/team/list` items (the deleted team is left out)."""
    spend = dict(spend_logs.group_by("team_id").agg(pl.col("spend").sum()).iter_rows())
    out = []
    for team in TEAMS:
        if team.deleted:
            continue
        members = sorted({k.user_id for k in KEYS if k.team_id == team.team_id})
        out.append(
            {
                "team_id": team.team_id,
                "team_alias": team.team_alias,
                "organization_id": None,
                "admins": [],
                "members": [],
                "members_with_roles": [{"user_id": u, "user_email": u, "role": "admin"} for u in members],
                "metadata": {"demo": True},
                "tpm_limit": None,
                "rpm_limit": None,
                "max_budget": None,
                "budget_duration": None,
                "models": [],
                "blocked": False,
                "spend": spend.get(team.team_id, 0.0),
                "max_parallel_requests": None,
                "budget_reset_at": None,
                "model_id": None,
                "created_at": _ts(created),
                "updated_at": _ts(created),
                "members_count": len(members),
                "keys_count": sum(1 for k in KEYS if k.team_id == team.team_id and not k.deleted),
            }
        )
    return out


def build_keys(spend_logs: pl.DataFrame, created: date, deleted: bool) -> list[dict[str, Any]]:
    """Full `/key/list` objects for the active (or the deleted) keys."""
    spend = dict(spend_logs.group_by("api_key").agg(pl.col("spend").sum()).iter_rows())
    out = []
    for key in KEYS:
        if key.deleted != deleted:
            continue
        item: dict[str, Any] = {
            "token": key.token,
            "key_name": f"sk-...{key.raw_key[-4:]}",
            "key_alias": key.key_alias,
            "spend": spend.get(key.token, 0.0),
            "max_budget": None,
            "expires": None,
            "models": [],
            "aliases": {},
            "config": {},
            "user_id": key.user_id,
            "team_id": key.team_id or None,
            "org_id": None,
            "permissions": {},
            "max_parallel_requests": None,
            "metadata": {"tags": list(key.tags)} if key.tags else {},
            "blocked": None,
            "tpm_limit": None,
            "rpm_limit": None,
            "budget_duration": None,
            "created_at": _ts(created),
            "updated_at": _ts(created),
            "created_by": "demo-admin",
            "updated_by": "demo-admin",
        }
        if deleted:
            item.update(deleted_at=_ts(created), deleted_by="demo-admin")
        out.append(item)
    return out


def build_models() -> list[dict[str, Any]]:
    """`/v2/model/info` items, with list prices."""
    return [
        {
            "model_name": m.model_group,
            "litellm_params": {"model": m.litellm_model, "custom_llm_provider": m.provider},
            "model_info": {
                "id": m.model_id,
                "db_model": False,
                "key": m.model,
                "mode": m.mode,
                "litellm_provider": m.provider,
                "max_tokens": m.max_output_tokens,
                "max_input_tokens": m.max_input_tokens,
                "max_output_tokens": m.max_output_tokens,
                "input_cost_per_token": m.input_cost,
                "output_cost_per_token": m.output_cost,
                "cache_read_input_token_cost": m.cache_read_cost or None,
                "cache_creation_input_token_cost": m.cache_creation_cost or None,
                "base_model": None,
            },
        }
        for m in MODELS
        if m.listed
    ]


def _pages(total: int, size: int) -> int:
    return -(-total // size)


def team_list(teams: list[dict[str, Any]], params: Mapping[str, str]) -> dict[str, Any]:
    p = dict(params)
    page = int_param(p, "page", 1, ge=1)
    size = int_param(p, "page_size", 10, ge=1, le=100)
    items = teams
    if p.get("team_id"):
        items = [t for t in items if t["team_id"] == p["team_id"]]
    if p.get("team_alias"):
        items = [t for t in items if p["team_alias"].lower() in t["team_alias"].lower()]
    if p.get("status") == "deleted":
        items = []
    chunk = items[(page - 1) * size : page * size]
    return {
        "teams": chunk,
        "total": len(items),
        "page": page,
        "page_size": size,
        "total_pages": _pages(len(items), size),
    }


def key_list(
    active: list[dict[str, Any]], deleted: list[dict[str, Any]], params: Mapping[str, str]
) -> dict[str, Any]:
    p = dict(params)
    page = int_param(p, "page", 1, ge=1)
    size = int_param(p, "size", 10, ge=1, le=100)
    items = deleted if p.get("status") == "deleted" else active
    for param, field in (
        ("team_id", "team_id"),
        ("user_id", "user_id"),
        ("key_alias", "key_alias"),
        ("key_hash", "token"),
    ):
        if p.get(param):
            items = [k for k in items if k[field] == p[param]]
    chunk = items[(page - 1) * size : page * size]
    full = p.get("return_full_object", "false").lower() == "true"
    return {
        "keys": chunk if full else [k["token"] for k in chunk],
        "total_count": len(items),
        "current_page": page,
        "total_pages": _pages(len(items), size),
    }


def model_info(models: list[dict[str, Any]], params: Mapping[str, str]) -> dict[str, Any]:
    p = dict(params)
    page = int_param(p, "page", 1, ge=1)
    size = int_param(p, "size", 50, ge=1)
    items = models
    if p.get("model"):
        items = [m for m in items if m["model_name"] == p["model"]]
    if p.get("modelId"):
        items = [m for m in items if m["model_info"]["id"] == p["modelId"]]
    if p.get("search"):
        items = [m for m in items if p["search"].lower() in m["model_name"].lower()]
    chunk = items[(page - 1) * size : page * size]
    return {
        "data": chunk,
        "total_count": len(items),
        "current_page": page,
        "total_pages": _pages(len(items), size),
        "size": size,
    }
