"""DuckDB connections with a single-writer discipline.

Writers queue on a ``filelock`` next to the database file (``<db>.lock``), so a Dagster run, a schedule
tick and a CLI refresh wait for each other instead of failing with DuckDB's "Could not set lock on file".
Readers open the file read-only and retry briefly while a writer holds it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import filelock

from pipeline.warehouse.errors import WarehouseError, WarehouseLockedError
from pipeline.warehouse.schema import ensure_schemas

log = logging.getLogger(__name__)

DEFAULT_MEMORY_LIMIT = "1GB"
"""DuckDB buffer-pool limit for writers: big queries spill to ``<db>.tmp`` instead of growing the process."""


def lock_path(db_path: Path | str) -> Path:
    """The writer lock file for a database: ``<db>.lock``."""
    db = Path(db_path)
    return db.with_name(db.name + ".lock")


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    text = str(exc)
    return "lock" in text.lower() and isinstance(exc, duckdb.IOException)


def _connect_with_retry(
    db: Path, *, read_only: bool, timeout_s: float, first_delay_s: float = 0.05
) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + timeout_s
    delay = first_delay_s
    while True:
        try:
            return duckdb.connect(str(db), read_only=read_only)
        except duckdb.IOException as exc:
            if not _is_lock_conflict(exc):
                raise WarehouseError(f"Cannot open the warehouse {db}: {exc}") from exc
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                role = "read" if read_only else "write"
                raise WarehouseLockedError(
                    f"The warehouse {db} is locked by another process (a writer, or a reader blocking this "
                    f"writer); gave up opening it for {role} after {timeout_s:.1f} s. Retry when the running "
                    f"load finishes (writers queue on {lock_path(db)})."
                ) from exc
            log.debug("warehouse %s locked, retrying in %.2f s", db, delay)
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 2.0)


def _configure(conn: duckdb.DuckDBPyConnection, *, memory_limit: str | None, threads: int | None) -> None:
    conn.execute("SET TimeZone = 'UTC'")
    if memory_limit:
        conn.execute(f"SET memory_limit = '{_checked_size(memory_limit)}'")
    if threads:
        conn.execute(f"SET threads = {int(threads)}")
    conn.execute("SET preserve_insertion_order = false")


def _checked_size(value: str) -> str:
    cleaned = value.strip().replace(" ", "")
    if not cleaned or not all(ch.isalnum() or ch == "." for ch in cleaned):
        raise WarehouseError(f"Invalid DuckDB memory_limit {value!r}; expected e.g. '512MB'.")
    return cleaned


@contextmanager
def write_connection(
    path: Path | str,
    *,
    lock_timeout_s: float = 600,
    connect_timeout_s: float = 30,
    memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
    threads: int | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The single read-write connection: waits for ``<db>.lock``, connects, ensures schemas, always closes.

    Raises ``WarehouseLockedError`` if the lock is not acquired within ``lock_timeout_s`` or DuckDB's own file
    lock stays held (e.g. by an ad-hoc reader in another process) for ``connect_timeout_s``.
    """
    db = Path(path)
    db.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(lock_path(db)), timeout=lock_timeout_s)
    try:
        lock.acquire()
    except filelock.Timeout as exc:
        raise WarehouseLockedError(
            f"Another writer held {lock_path(db)} for more than {lock_timeout_s:.0f} s; the warehouse {db} "
            "has a single writer at a time. Retry when the running load finishes."
        ) from exc
    try:
        conn = _connect_with_retry(db, read_only=False, timeout_s=connect_timeout_s)
        try:
            _configure(conn, memory_limit=memory_limit, threads=threads)
            ensure_schemas(conn)
            yield conn
        finally:
            conn.close()
    finally:
        lock.release()


@contextmanager
def read_connection(path: Path | str, *, timeout_s: float = 10) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, retried with backoff while a writer holds the file.

    Raises ``WarehouseLockedError`` after ``timeout_s``.
    """
    db = Path(path)
    if not db.exists():
        raise WarehouseError(f"No warehouse at {db}; run a refresh first (or set LITELLM_USAGE_DB).")
    conn = _connect_with_retry(db, read_only=True, timeout_s=timeout_s)
    try:
        conn.execute("SET TimeZone = 'UTC'")
        yield conn
    finally:
        conn.close()


@contextmanager
def bulk_load_settings(conn: duckdb.DuckDBPyConnection, limit: str, threads: int) -> Iterator[None]:
    """Temporarily set DuckDB's ``memory_limit`` and cap its threads on this connection, for a bulk load.

    Each loading thread pins its own read and row-group buffers, so the limit only holds for a bounded number
    of threads (``threads``; fewer if the connection already uses fewer). Insertion order is not preserved
    meanwhile, which lets DuckDB stream a bulk insert instead of buffering it (bulk loads here never depend on
    row order).
    """
    previous = str(conn.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
    previous_order = bool(conn.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0])
    previous_threads = int(conn.execute("SELECT current_setting('threads')").fetchall()[0][0])
    conn.execute(f"SET memory_limit = '{_checked_size(limit)}'")
    conn.execute("SET preserve_insertion_order = false")
    conn.execute(f"SET threads = {max(1, min(int(threads), previous_threads))}")
    try:
        yield
    finally:
        try:
            conn.execute(f"SET memory_limit = '{_checked_size(previous)}'")
            conn.execute(f"SET preserve_insertion_order = {'true' if previous_order else 'false'}")
            conn.execute(f"SET threads = {previous_threads}")
        except duckdb.Error as exc:
            # e.g. a failed ROLLBACK left the connection unusable: keep the original error visible
            log.warning("could not restore the connection's settings after a bulk load: %s", exc)


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT, or ROLLBACK (and re-raise) if the body raises."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
    except BaseException:
        try:
            conn.execute("ROLLBACK")
        except duckdb.Error as rollback_exc:
            log.warning("rollback failed: %s", rollback_exc)
        raise
    conn.execute("COMMIT")
