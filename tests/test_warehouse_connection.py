from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

import duckdb
import pytest

from pipeline.warehouse.connection import (
    bulk_load_settings,
    lock_path,
    read_connection,
    transaction,
    write_connection,
)
from pipeline.warehouse.errors import WarehouseError, WarehouseLockedError


def _hold_write(db: str, tag: str, hold_s: float, ready: mp.synchronize.Event | None) -> None:
    with write_connection(db, lock_timeout_s=30) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS main.writers (tag VARCHAR, started DOUBLE, ended DOUBLE)")
        started = time.time()
        if ready is not None:
            ready.set()
        time.sleep(hold_s)
        conn.execute("INSERT INTO main.writers VALUES (?, ?, ?)", [tag, started, time.time()])


def test_concurrent_writers_queue_instead_of_failing(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_hold_write, args=(db, tag, 0.5, None)) for tag in ("a", "b")]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    assert [proc.exitcode for proc in procs] == [0, 0]
    with read_connection(db) as conn:
        spans = conn.execute("SELECT tag, started, ended FROM main.writers ORDER BY started").fetchall()
    assert sorted(tag for tag, _, _ in spans) == ["a", "b"]
    assert spans[1][1] >= spans[0][2]
    assert lock_path(db).name == "w.duckdb.lock"


def test_reader_gives_up_with_a_typed_error_while_a_writer_holds_the_file(tmp_path: Path) -> None:
    db = str(tmp_path / "w.duckdb")
    with write_connection(db):
        pass
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    writer = ctx.Process(target=_hold_write, args=(db, "w", 3.0, ready))
    writer.start()
    try:
        assert ready.wait(30)
        began = time.monotonic()
        with (
            pytest.raises(WarehouseLockedError, match=r"w\.duckdb.*locked") as info,
            read_connection(db, timeout_s=0.6),
        ):
            pass
        assert 0.5 <= time.monotonic() - began < 2.5
        assert isinstance(info.value, WarehouseError)
    finally:
        writer.join(60)
    assert writer.exitcode == 0
    with read_connection(db, timeout_s=5) as conn:
        assert conn.execute("SELECT tag FROM main.writers").fetchall() == [("w",)]


def test_write_connection_closes_and_unlocks_on_exception(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "w.duckdb"
    with pytest.raises(RuntimeError), write_connection(db) as conn:
        kept = conn
        raise RuntimeError("boom")
    with pytest.raises(duckdb.ConnectionException):
        kept.execute("SELECT 1")
    with read_connection(db, timeout_s=1) as reader:
        assert reader.execute("SELECT count(*) FROM raw.spend_logs").fetchone() == (0,)
    with write_connection(db, lock_timeout_s=1) as conn:
        assert conn.execute("SELECT current_setting('TimeZone')").fetchone() == ("UTC",)


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    with write_connection(tmp_path / "w.duckdb") as conn:
        conn.execute("CREATE TABLE main.t (x INTEGER)")
        with pytest.raises(ValueError), transaction(conn):
            conn.execute("INSERT INTO main.t VALUES (1)")
            raise ValueError("stop")
        with transaction(conn):
            conn.execute("INSERT INTO main.t VALUES (2)")
        assert conn.execute("SELECT x FROM main.t").fetchall() == [(2,)]


def test_read_connection_on_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="No warehouse at"), read_connection(tmp_path / "nope.duckdb"):
        pass


def test_bulk_load_settings_cap_threads_and_restore_everything(tmp_path: Path) -> None:
    def settings(conn: duckdb.DuckDBPyConnection) -> tuple:
        return conn.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads'), "
            "current_setting('preserve_insertion_order')"
        ).fetchone()

    with write_connection(tmp_path / "w.duckdb", threads=6) as conn:
        before = settings(conn)
        with bulk_load_settings(conn, "200MB", 2):
            limit, threads, order = settings(conn)
            assert (threads, order) == (2, False)
            assert limit != before[0]
        with bulk_load_settings(conn, "200MB", 16):
            assert settings(conn)[1] == 6, "never more threads than the connection has"
        after = settings(conn)
        assert after[1:] == before[1:]
        assert after[0].split()[1] == before[0].split()[1]
        assert float(after[0].split()[0]) == pytest.approx(float(before[0].split()[0]), abs=0.2), (
            "restored from DuckDB's rounded display value"
        )
