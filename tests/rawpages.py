"""Hand-made client pages for the raw-layer tests (bodies from the reference samples)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from pipeline.litellm.pages import DailyActivityPage, DailyScope, Page, SpendLogPage, SpendLogWindow
from tests.samples import SAMPLES_DIR

SAMPLES = SAMPLES_DIR

DAILY_SAMPLE_FILES = (
    "team_daily_activity_page1_size5.json",
    "team_daily_activity_page2_size5.json",
    "team_daily_activity_page3_size5.json",
)


def daily_pages(day: date, team_id: str = "team-eng") -> list[DailyActivityPage]:
    """The three ``page_size=5`` sample pages (split date, then an empty page past the end) for one scope."""
    scope = DailyScope(name=f"team:{team_id}", team_id=team_id, team_ids=(team_id,))
    pages = []
    for number, name in enumerate(DAILY_SAMPLE_FILES, start=1):
        body = (SAMPLES / name).read_bytes()
        parsed = json.loads(body)
        params = {
            "start_date": day.isoformat(),
            "end_date": day.isoformat(),
            "page": str(number),
            "page_size": "5",
            "team_ids": team_id,
        }
        page = Page(
            "/team/daily/activity",
            params,
            number,
            body,
            parsed["metadata"]["total_pages"],
            len(parsed["results"]),
        )
        pages.append(DailyActivityPage(day=day, scope=scope, page=page))
    return pages


def spend_row(request_id: str, start: datetime, spend: float = 0.001) -> dict[str, Any]:
    """A sample spend-log row with a new id, start time and spend."""
    template = json.loads((SAMPLES / "spend_logs_v2_page1.json").read_bytes())["data"][0]
    row = dict(template)
    row["request_id"] = request_id
    row["startTime"] = start.isoformat(timespec="milliseconds")
    row["spend"] = spend
    return row


def spend_page(window: SpendLogWindow, rows: list[dict[str, Any]], number: int = 1) -> SpendLogPage:
    """A spend-log page with ``rows`` for ``window``, body serialised like the gateway does."""
    body = json.dumps(
        {
            "data": rows,
            "total": len(rows),
            "page": number,
            "page_size": 1000,
            "total_pages": 1,
            "total_is_capped": False,
        }
    ).encode()
    params = {
        "start_date": window.start.strftime("%Y-%m-%d %H:%M:%S"),
        "end_date": window.end.strftime("%Y-%m-%d %H:%M:%S"),
        "page": str(number),
        "page_size": "1000",
    }
    return SpendLogPage(window=window, page=Page("/spend/logs/v2", params, number, body, 1, len(rows)))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
