"""Reads in another process succeed while this process holds the write connection and republishes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.paths import PROJECT_ROOT
from pipeline.warehouse.connection import write_connection
from pipeline.warehouse.snapshot import publish_snapshot_from
from tests.test_query_seed import seeded_warehouse

READER = """
import json, sys
from pipeline import query
db, rounds = sys.argv[1], int(sys.argv[2])
ok, errors, totals = 0, [], set()
for _ in range(rounds):
    try:
        totals.add(int(query.leaderboard("2026-03-01", "2026-03-03", db=db)["total_tokens"].sum()))
        assert query.team_usage("2026-03-01", "2026-03-03", team="alpha", db=db).height == 1
        assert query.timeseries("2026-03-01", "2026-03-03", by="model", db=db).height == 5
        assert query.success_rate("2026-03-01", "2026-03-03", daily=True, db=db).height == 5
        assert query.cost_efficiency("2026-03-01", "2026-03-03", model="gpt-4o", db=db).height == 1
        assert query.model_usage("2026-03-01", "2026-03-03", db=db).height == 3
        assert query.hourly_usage("2026-03-23", "2026-03-29", tz="Europe/Berlin", db=db).height == 6
        ok += 1
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
print(json.dumps({"ok": ok, "errors": errors[:5], "totals": sorted(totals)}))
"""


@pytest.mark.slow
def test_queries_in_another_process_succeed_during_refresh(tmp_path: Path) -> None:
    db = seeded_warehouse(tmp_path / "usage.duckdb")
    rounds = 15
    publishes = 0
    with write_connection(db) as writer:
        child = subprocess.Popen(
            [sys.executable, "-c", READER, str(db), str(rounds)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while child.poll() is None and time.monotonic() < deadline:
            factor = "* 10" if publishes % 2 == 0 else "// 10"
            writer.execute(f"UPDATE marts.team_usage_daily SET total_tokens = total_tokens {factor}")
            publish_snapshot_from(writer, db)
            publishes += 1
            time.sleep(0.05)
        out, err = child.communicate(timeout=30)
    assert child.returncode == 0, err
    result = json.loads(out)
    assert result["errors"] == []
    assert result["ok"] == rounds
    assert publishes >= 3
    # every leaderboard saw one complete snapshot: the original totals or the 10x ones, never a mix
    assert set(result["totals"]) <= {3800, 38000}
