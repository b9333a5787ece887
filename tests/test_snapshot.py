"""Publishing the marts snapshot: content, comments, demo flag, atomic replacement, cleanup on failure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipeline import query
from pipeline.warehouse import snapshot
from pipeline.warehouse.snapshot import SnapshotError, publish_snapshot, publish_snapshot_from, snapshot_path
from tests.test_query_seed import seed_marts, seeded_warehouse

MARTS = ["cost_efficiency", "hourly_usage", "model_usage_daily", "team_model_usage_daily", "team_usage_daily"]


@pytest.fixture(autouse=True)
def _close_readers() -> Iterator[None]:
    yield
    query.close_cached()


def _tokens(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute("SELECT sum(total_tokens) FROM marts.team_usage_daily").fetchall()[0][0]


def test_snapshot_path_sits_next_to_the_warehouse() -> None:
    assert snapshot_path("data/usage.duckdb") == Path("data/usage.marts.duckdb")
    assert snapshot_path("/x/wh") == Path("/x/wh.marts.duckdb")


def test_publish_copies_every_mart_with_comments_and_leaves_no_temp_or_wal(tmp_path: Path) -> None:
    db = seeded_warehouse(tmp_path / "usage.duckdb", is_demo=True, publish=False)
    published = publish_snapshot(db)
    assert published == tmp_path / "usage.marts.duckdb"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "usage.duckdb",
        "usage.duckdb.lock",
        "usage.marts.duckdb",
    ]
    with (
        duckdb.connect(str(published), read_only=True) as snap,
        duckdb.connect(str(db), read_only=True) as main,
    ):
        for table in MARTS:
            sql = f"SELECT * FROM marts.{table} ORDER BY ALL"
            assert snap.execute(sql).fetchall() == main.execute(sql).fetchall()
        comments = snap.execute(
            "SELECT comment FROM duckdb_tables() "
            "WHERE schema_name = 'marts' AND table_name = 'team_usage_daily'"
        ).fetchall()
        assert comments == [("One row per team and UTC day.",)]
        column = snap.execute(
            "SELECT comment FROM duckdb_columns() "
            "WHERE table_name = 'team_usage_daily' AND column_name = 'team_id'"
        ).fetchall()
        assert column == [("LiteLLM team id; 'Unassigned' too.",)]
        meta = snap.execute("SELECT is_demo, table_count FROM main.marts_meta").fetchall()
        assert meta == [(True, len(MARTS))]
        assert snap.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw'").fetchall() == [
            (0,)
        ]


def test_republish_is_atomic_for_open_readers_and_visible_to_new_queries(tmp_path: Path) -> None:
    db = seeded_warehouse(tmp_path / "usage.duckdb")
    snap = snapshot_path(db)
    assert query.leaderboard("2026-03-01", "2026-03-03", db=db)["total_tokens"].sum() == 3800
    old_reader = duckdb.connect(str(snap), read_only=True)
    try:
        with duckdb.connect(str(db)) as writer:
            writer.execute("UPDATE marts.team_usage_daily SET total_tokens = total_tokens * 10")
            publish_snapshot_from(writer, db)
        # the reader that had the old file open keeps a complete, consistent old snapshot
        assert old_reader.execute("SELECT sum(total_tokens) FROM marts.team_usage_daily").fetchall() == [
            (3800,)
        ]
    finally:
        old_reader.close()
    assert _tokens(snap) == 38000
    # the query module's cached connection notices the replaced file and re-opens it
    assert query.leaderboard("2026-03-01", "2026-03-03", db=db)["total_tokens"].sum() == 38000


def test_failed_publish_keeps_the_previous_snapshot_and_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = seeded_warehouse(tmp_path / "usage.duckdb")
    before = sorted(p.name for p in tmp_path.iterdir())

    def fail(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(snapshot.os, "replace", fail)
    with duckdb.connect(str(db)) as writer:
        writer.execute("DELETE FROM marts.team_usage_daily")
        with pytest.raises(OSError, match="disk full"):
            publish_snapshot_from(writer, db)
        assert writer.execute("SELECT count(*) FROM duckdb_databases() WHERE NOT internal").fetchall() == [
            (1,)
        ]
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert _tokens(snapshot_path(db)) == 3800


def test_publish_without_marts_is_a_clear_error(tmp_path: Path) -> None:
    with (
        duckdb.connect(str(tmp_path / "empty.duckdb")) as conn,
        pytest.raises(SnapshotError, match="no marts"),
    ):
        publish_snapshot_from(conn, tmp_path / "empty.duckdb")
    assert not snapshot_path(tmp_path / "empty.duckdb").exists()


def test_queries_fall_back_to_the_main_file_without_a_snapshot(tmp_path: Path) -> None:
    db = tmp_path / "usage.duckdb"
    with duckdb.connect(str(db)) as conn:
        seed_marts(conn, is_demo=True)
    with query.reader(db) as r:
        assert (r.source, r.is_demo()) == ("warehouse", True)
    assert query.team_usage("2026-03-01", "2026-03-03", team="alpha", db=db)["total_tokens"].to_list() == [
        3000
    ]
    assert not snapshot_path(db).exists()


def test_reader_reports_the_demo_flag_from_the_snapshot(tmp_path: Path) -> None:
    demo = seeded_warehouse(tmp_path / "demo.duckdb", is_demo=True)
    real = seeded_warehouse(tmp_path / "real.duckdb", is_demo=False)
    unknown = seeded_warehouse(tmp_path / "unknown.duckdb", is_demo=None)
    flags = []
    for db in (demo, real, unknown):
        with query.reader(db) as r:
            flags.append((r.source, r.is_demo()))
    assert flags == [("snapshot", True), ("snapshot", False), ("snapshot", None)]
