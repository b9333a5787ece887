"""In-memory LiteLLM stand-in for the client unit tests (an httpx.MockTransport handler; no tests here)."""

from __future__ import annotations

import json
import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

KEY = "sk-unit-test-secret-0123456789"


def _epoch_ms(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()) * 1000


@dataclass
class FakeLiteLLM:
    """Daily rows are (date, team_id, spend); spend-log rows are (start_ms, request_id)."""

    daily_rows: list[tuple[str, str, float]] = field(default_factory=list)
    spend_rows: list[tuple[int, str]] = field(default_factory=list)
    count_cap: int = 10_000
    prefix: str = ""
    hook: Callable[[httpx.Request, int], httpx.Response | None] | None = None
    requests: list[httpx.Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            seq = len(self.requests)
        if request.headers.get("authorization") != f"Bearer {KEY}":
            return httpx.Response(401, json={"error": {"message": "Authentication Error", "code": "401"}})
        if self.hook is not None:
            hooked = self.hook(request, seq)
            if hooked is not None:
                return hooked
        path = request.url.path.removeprefix(self.prefix)
        params = dict(request.url.params)
        if path == "/team/daily/activity":
            return httpx.Response(200, json=self.daily(params))
        if path == "/spend/logs/v2":
            return httpx.Response(200, content=self.spend_logs(params))
        return httpx.Response(404, json={"detail": {"error": f"Not found: {path}"}})

    def daily(self, params: dict[str, str]) -> dict[str, Any]:
        page, size = int(params.get("page", 1)), int(params.get("page_size", 10))
        teams = params.get("team_ids")
        with self.lock:
            rows = [
                r
                for r in self.daily_rows
                if params["start_date"] <= r[0] <= params["end_date"]
                and (not teams or r[1] in teams.split(","))
            ]
        rows.sort(key=lambda r: r[0], reverse=True)
        count = len(rows)
        chunk = rows[(page - 1) * size : page * size]
        by_date: dict[str, dict[str, Any]] = {}
        for day, team, spend in chunk:
            entry = by_date.setdefault(
                day, {"date": day, "metrics": {"spend": 0.0}, "breakdown": {"entities": {}}}
            )
            entry["metrics"]["spend"] += spend
            ent = entry["breakdown"]["entities"].setdefault(team, {"metrics": {"spend": 0.0}})
            ent["metrics"]["spend"] += spend
        return {
            "results": list(by_date.values()),
            "metadata": {
                "total_spend": sum(r[2] for r in chunk),
                "page": page,
                "total_pages": math.ceil(count / size),
                "has_more": page * size < count,
            },
        }

    def spend_logs(self, params: dict[str, str]) -> bytes:
        lo, hi = _epoch_ms(params["start_date"]), _epoch_ms(params["end_date"])
        page, size = int(params["page"]), int(params["page_size"])
        rows = [r for r in self.spend_rows if lo <= r[0] <= hi]
        with self.lock:
            ties = {r[1]: self.rng.random() for r in rows}
        rows.sort(key=lambda r: (r[0], ties[r[1]]))
        total = min(len(rows), self.count_cap)
        data = [
            {"request_id": rid, "startTime": datetime.fromtimestamp(ms / 1000, UTC).isoformat(), "total": 1}
            for ms, rid in rows[(page - 1) * size : page * size]
        ]
        tail = {
            "total": total,
            "page": page,
            "page_size": size,
            "total_pages": math.ceil(total / size),
            "total_is_capped": len(rows) > self.count_cap,
        }
        return (json.dumps({"data": data})[:-1] + ", " + json.dumps(tail)[1:]).encode()
