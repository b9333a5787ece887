"""The demo gateway's daily-activity paging/aggregation reproduces LiteLLM 1.110.2's own sample output."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest

from pipeline.demo_gateway.daily import DailyStore, RenderOptions, parse_query
from pipeline.demo_gateway.synth import METRIC_COLUMNS as METRICS
from tests.samples import SAMPLES_DIR

MODEL_INFO = {"gpt-4o": ("gpt-4o", "openai"), "claude-sonnet-4-20250514": ("claude-sonnet-4", "anthropic")}


def _sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES_DIR / name).read_text())


def _store_from_samples() -> DailyStore:
    """The 8 DB rows behind the samples: one per (date, model, key) cell of the single-page response."""
    full = _sample("team_daily_activity_page1_size10.json")
    rows: list[dict[str, Any]] = []
    key_meta: dict[str, dict[str, Any]] = {}
    team_meta: dict[str, dict[str, Any]] = {}
    for day in sorted(full["results"], key=lambda r: r["date"]):
        cells = []
        for model, bucket in day["breakdown"]["models"].items():
            for key, cell in bucket["api_key_breakdown"].items():
                key_meta[key] = cell["metadata"]
                cells.append((cell["metadata"]["team_id"] != "team-eng", model != "gpt-4o", model, key, cell))
        for team, entity in day["breakdown"]["entities"].items():
            team_meta[team] = entity["metadata"]
        for _, _, model, key, cell in sorted(cells):
            group, provider = MODEL_INFO[model]
            rows.append(
                {
                    "id": f"00000000-0000-4000-8000-{len(rows):012d}",
                    "date": day["date"],
                    "team_id": cell["metadata"]["team_id"],
                    "api_key": key,
                    "model": model,
                    "custom_llm_provider": provider,
                    "mcp_namespaced_tool_name": "",
                    "endpoint": "/chat/completions",
                    "model_group": group,
                    **{m: cell["metrics"][m] for m in METRICS},
                }
            )
    assert len(rows) == 8
    return DailyStore(pl.DataFrame(rows), key_meta, team_meta)


@pytest.mark.parametrize(
    ("page", "page_size", "sample"),
    [
        (1, 10, "team_daily_activity_page1_size10.json"),
        (1, 5, "team_daily_activity_page1_size5.json"),
        (2, 5, "team_daily_activity_page2_size5.json"),
        (3, 5, "team_daily_activity_page3_size5.json"),
    ],
)
def test_pages_equal_litellm_samples(page: int, page_size: int, sample: str) -> None:
    store = _store_from_samples()
    q = parse_query(
        {"start_date": "2026-03-02", "end_date": "2026-03-03", "page": str(page), "page_size": str(page_size)}
    )
    body = json.loads(json.dumps(store.respond(q, RenderOptions())))
    expected = _sample(sample)
    assert body == expected
    assert json.dumps(body) == json.dumps(expected)
