from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipeline.litellm.pages import SpendLogWindow
from pipeline.warehouse.connection import write_connection
from pipeline.warehouse.errors import MixedSourceError, RawDataError, RawLoadError
from pipeline.warehouse.raw_load import (
    ExtractSource,
    load_daily_activity,
    load_reference,
    load_spend_logs,
    record_source,
)
from pipeline.warehouse.spool import spool_daily_activity, spool_spend_logs
from tests.rawpages import SAMPLES, daily_pages, spend_page, spend_row, utc

DAY_A = date(2026, 3, 2)
DAY_B = date(2026, 3, 3)
T0 = utc(2026, 3, 10)


def _load_daily(db: Path, spool_dir: Path, days: list[date], run_id: str, pages=None):
    spool = spool_daily_activity(
        pages if pages is not None else [p for d in days for p in daily_pages(d)], spool_dir
    )
    with write_connection(db) as conn:
        return load_daily_activity(conn, spool, days, run_id, T0)


def _rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with write_connection(db) as conn:
        return conn.execute(sql, params or []).fetchall()


def test_daily_pages_land_one_row_per_page_exactly_as_received(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    result = _load_daily(db, tmp_path / "s1", [DAY_A], "run-1")
    assert (result.rows_inserted, result.rows_deleted, result.pages) == (3, 0, 3)
    assert result.bytes == sum(p.page.body.__len__() for p in daily_pages(DAY_A))
    rows = _rows(
        db,
        "SELECT page, total_pages, scope, team_id, endpoint, payload::VARCHAR, payload_bytes, "
        "request_params ->> 'page', partition_date, run_id FROM raw.team_daily_activity ORDER BY page",
    )
    for number, row in enumerate(rows, start=1):
        body = daily_pages(DAY_A)[number - 1].page.body
        assert row[0] == number and row[1] == 2
        assert row[2:5] == ("team:team-eng", "team-eng", "/team/daily/activity")
        assert row[5].encode() == body
        assert row[6] == len(body)
        assert row[7] == str(number)
        assert row[8:] == (DAY_A, "run-1")


def test_daily_reload_replaces_and_leaves_other_days_alone(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _load_daily(db, tmp_path / "s1", [DAY_A, DAY_B], "run-1")
    again = _load_daily(db, tmp_path / "s2", [DAY_A], "run-2")
    assert (again.rows_inserted, again.rows_deleted) == (3, 3)
    counts = _rows(
        db, "SELECT partition_date, run_id, count(*) FROM raw.team_daily_activity GROUP BY ALL ORDER BY ALL"
    )
    assert counts == [(DAY_A, "run-2", 3), (DAY_B, "run-1", 3)]


def test_daily_out_of_range_and_reread_pages_are_counted(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    pages = daily_pages(DAY_A) + daily_pages(DAY_A)[:1] + daily_pages(DAY_B)
    result = _load_daily(db, tmp_path / "s1", [DAY_A], "run-1", pages=pages)
    assert (result.rows_inserted, result.duplicates_dropped, result.out_of_range_dropped) == (3, 1, 3)


def test_failed_load_rolls_back_and_keeps_previous_data(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _load_daily(db, tmp_path / "s1", [DAY_A], "run-1")
    spool = spool_daily_activity(daily_pages(DAY_A), tmp_path / "s2")
    (spool.pages_dir / "00000002.json").write_bytes(b'{"results": [truncated')
    with write_connection(db) as conn, pytest.raises(RawLoadError, match="rolled back"):
        load_daily_activity(conn, spool, [DAY_A], "run-2", T0)
    assert _rows(db, "SELECT run_id, count(*) FROM raw.team_daily_activity GROUP BY ALL") == [("run-1", 3)]


def test_failed_extraction_never_opens_a_write(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    _load_daily(db, tmp_path / "s1", [DAY_A], "run-1")

    def broken():
        yield from daily_pages(DAY_A)[:1]
        raise ConnectionError("gateway went away")

    with pytest.raises(ConnectionError):
        spool_daily_activity(broken(), tmp_path / "s2")
    assert _rows(db, "SELECT run_id, count(*) FROM raw.team_daily_activity GROUP BY ALL") == [("run-1", 3)]


def _windows_for(day: date) -> tuple[SpendLogWindow, SpendLogWindow]:
    start = utc(day.year, day.month, day.day)
    mid = start + timedelta(hours=12)
    return SpendLogWindow(start, mid), SpendLogWindow(mid, start + timedelta(days=1))


def test_spend_logs_dedupe_overlap_and_drop_other_days(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "w.duckdb"
    first, second = _windows_for(DAY_A)
    boundary = first.end
    pages = [
        spend_page(first, [spend_row("a1", boundary - timedelta(hours=1)), spend_row("edge", boundary, 1.0)]),
        spend_page(first, [spend_row("edge", boundary, 3.0)], number=2),
        spend_page(
            second,
            [
                spend_row("edge", boundary, 2.0),
                spend_row("a2", boundary + timedelta(hours=1)),
                spend_row("next-day", second.end),
            ],
        ),
    ]
    spool = spool_spend_logs(reversed(pages), tmp_path / "s1")
    with write_connection(db) as conn:
        result = load_spend_logs(conn, spool, [DAY_A], "run-1", T0)
        rows = conn.execute(
            "SELECT request_id, partition_date, payload ->> 'spend', start_time FROM raw.spend_logs "
            "ORDER BY request_id"
        ).fetchall()
    assert (result.rows_inserted, result.duplicates_dropped, result.out_of_range_dropped) == (3, 2, 1)
    assert [r[0] for r in rows] == ["a1", "a2", "edge"]
    assert {r[1] for r in rows} == {DAY_A}
    assert rows[2][2] == "2.0", "the copy from the window starting at the boundary is kept"
    assert rows[2][3] == boundary
    assert "arrived twice" not in caplog.text
    again = spool_spend_logs(pages, tmp_path / "s2")
    with write_connection(db) as conn:
        reload = load_spend_logs(conn, again, [DAY_A], "run-2", T0)
        assert conn.execute("SELECT count(*), count(DISTINCT request_id) FROM raw.spend_logs").fetchone() == (
            3,
            3,
        )
    assert (reload.rows_deleted, reload.rows_inserted) == (3, 3)


def test_spend_logs_offset_paged_window_keeps_one_copy_per_request(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = _windows_for(DAY_A)
    dense = SpendLogWindow(first.end, first.end + timedelta(seconds=1))
    rest = SpendLogWindow(dense.end, second.end)
    at = dense.start + timedelta(milliseconds=500)
    pages = [
        spend_page(first, [spend_row("a1", first.start + timedelta(hours=1))]),
        spend_page(dense, [spend_row("d1", at, 2.0), spend_row("d2", at)]),
        spend_page(dense, [spend_row("d2", at), spend_row("d3", at)], number=2),
        spend_page(dense, [spend_row("d1", at, 1.0), spend_row("d4", at)], number=3),
        spend_page(rest, [spend_row("a2", rest.start + timedelta(hours=1))]),
    ]
    with write_connection(tmp_path / "w.duckdb") as conn:
        result = load_spend_logs(conn, spool_spend_logs(pages, tmp_path / "s1"), [DAY_A], "run-1", T0)
        rows = conn.execute(
            "SELECT request_id, payload ->> 'spend' FROM raw.spend_logs ORDER BY request_id"
        ).fetchall()
    assert [r[0] for r in rows] == ["a1", "a2", "d1", "d2", "d3", "d4"]
    assert dict(rows)["d1"] == "1.0"
    assert (result.rows_inserted, result.duplicates_dropped, result.out_of_range_dropped) == (6, 2, 0)
    assert "arrived twice" not in caplog.text


def test_spend_logs_an_out_of_range_row_repeated_across_pages_is_out_of_range_once(tmp_path: Path) -> None:
    first, second = _windows_for(DAY_A)
    pages = [
        spend_page(first, [spend_row("a1", first.start + timedelta(hours=1))]),
        spend_page(second, [spend_row("a2", second.end - timedelta(hours=1)), spend_row("late", second.end)]),
        spend_page(second, [spend_row("late", second.end)], number=2),
    ]
    with write_connection(tmp_path / "w.duckdb") as conn:
        result = load_spend_logs(conn, spool_spend_logs(pages, tmp_path / "s1"), [DAY_A], "run-1", T0)
    assert (result.rows_inserted, result.duplicates_dropped, result.out_of_range_dropped) == (2, 1, 1)


def test_spend_logs_unexpected_duplicates_are_removed_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = _windows_for(DAY_A)
    pages = [
        spend_page(first, [spend_row("same", first.start + timedelta(hours=1), 1.0)]),
        spend_page(second, [spend_row("same", first.start + timedelta(hours=1), 2.0)]),
    ]
    with write_connection(tmp_path / "w.duckdb") as conn:
        result = load_spend_logs(conn, spool_spend_logs(pages, tmp_path / "s1"), [DAY_A], "run-1", T0)
        rows = conn.execute("SELECT request_id, payload ->> 'spend' FROM raw.spend_logs").fetchall()
    assert rows == [("same", "1.0")]
    assert (result.rows_inserted, result.duplicates_dropped, result.out_of_range_dropped) == (1, 1, 0)
    assert "1 spend-log row(s) arrived twice" in caplog.text


def test_spend_logs_loading_one_day_keeps_the_other(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    pages = []
    for day in (DAY_A, DAY_B):
        first, second = _windows_for(day)
        pages += [
            spend_page(first, [spend_row(f"{day}-1", first.start + timedelta(minutes=5))]),
            spend_page(second, [spend_row(f"{day}-2", second.start + timedelta(minutes=5))]),
        ]
    with write_connection(db) as conn:
        load_spend_logs(conn, spool_spend_logs(pages, tmp_path / "s1"), [DAY_A, DAY_B], "run-1", T0)
        only_b = spool_spend_logs(pages[2:], tmp_path / "s2")
        result = load_spend_logs(conn, only_b, [DAY_B], "run-2", T0)
        rows = conn.execute(
            "SELECT partition_date, run_id, count(*) FROM raw.spend_logs GROUP BY ALL ORDER BY ALL"
        ).fetchall()
    assert (result.rows_deleted, result.rows_inserted) == (2, 2)
    assert rows == [(DAY_A, "run-1", 2), (DAY_B, "run-2", 2)]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("request_id", None, "no 'request_id'"),
        ("request_id", "", "no 'request_id'"),
        ("startTime", None, "no 'startTime'"),
        ("startTime", "yesterday-ish", "an unparseable 'startTime'"),
    ],
)
def test_spend_rows_missing_required_fields_fail_clearly(
    tmp_path: Path, field: str, value: str | None, message: str
) -> None:
    first, _ = _windows_for(DAY_A)
    broken = spend_row("x1", first.start + timedelta(minutes=1))
    if value is None:
        del broken[field]
    else:
        broken[field] = value
    pages = [spend_page(first, [spend_row("ok", first.start), broken])]
    spool = spool_spend_logs(pages, tmp_path / "s1")
    with write_connection(tmp_path / "w.duckdb") as conn:
        with pytest.raises(RawDataError, match=rf"row 1 in spooled page 00000001\.json has {message}"):
            load_spend_logs(conn, spool, [DAY_A], "run-1", T0)
        assert conn.execute("SELECT count(*) FROM raw.spend_logs").fetchone() == (0,)


def test_reference_snapshots_replace_whole(tmp_path: Path) -> None:
    teams = [{"team_id": "t1", "team_alias": "Demo A"}, {"team_id": "t2", "team_alias": "Demo B"}]
    keys = [{"token": "h1", "team_id": "t1"}]
    deleted = [{"token": "h0", "team_id": "t2"}]
    models = [
        {"model_name": "gpt-4o", "model_info": {"id": "d1"}},
        {"model_name": "claude", "model_info": {}},
    ]
    with write_connection(tmp_path / "w.duckdb") as conn:
        load_reference(
            conn, teams=teams, keys=keys, deleted_keys=deleted, models=models, run_id="r1", extracted_at=T0
        )
        results = load_reference(
            conn,
            teams=teams[:1],
            keys=keys,
            deleted_keys=deleted,
            models=models,
            run_id="r2",
            extracted_at=T0,
        )
        assert conn.execute("SELECT team_id, payload ->> 'team_alias', run_id FROM raw.teams").fetchall() == [
            ("t1", "Demo A", "r2")
        ]
        assert conn.execute("SELECT token, status FROM raw.keys ORDER BY token").fetchall() == [
            ("h0", "deleted"),
            ("h1", "active"),
        ]
        assert conn.execute("SELECT model_name, model_id FROM raw.models ORDER BY 1").fetchall() == [
            ("claude", None),
            ("gpt-4o", "d1"),
        ]
        assert (results["raw.teams"].rows_inserted, results["raw.teams"].rows_deleted) == (1, 2)
        with pytest.raises(RawDataError, match="Team #0 has no 'team_id'"):
            load_reference(
                conn,
                teams=[{"team_alias": "x"}],
                keys=[],
                deleted_keys=[],
                models=[],
                run_id="r3",
                extracted_at=T0,
            )
        assert conn.execute("SELECT count(*) FROM raw.teams").fetchone() == (1,)


def test_demo_and_real_sources_never_mix(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    demo = ExtractSource("http://127.0.0.1:4000/", is_demo=True)
    spool = spool_daily_activity(daily_pages(DAY_A), tmp_path / "s1")
    with write_connection(db) as conn:
        load_daily_activity(conn, spool, [DAY_A], "run-1", T0, source=demo)
        load_daily_activity(conn, spool, [DAY_A], "run-2", utc(2026, 3, 11), source=demo)
        real = ExtractSource("https://user:secret@litellm.example.com/?token=x", is_demo=False)
        with pytest.raises(MixedSourceError, match="LITELLM_USAGE_DB") as info:
            load_daily_activity(conn, spool, [DAY_A], "run-3", T0, source=real)
        assert "secret" not in str(info.value)
        with pytest.raises(MixedSourceError):
            record_source(conn, real.url, real.is_demo, T0)
        assert conn.execute("SELECT run_id FROM raw.team_daily_activity LIMIT 1").fetchone() == ("run-2",)
        assert conn.execute(
            "SELECT source_url, is_demo, first_loaded_at, last_loaded_at FROM raw.extract_source"
        ).fetchall() == [("http://127.0.0.1:4000", True, T0, utc(2026, 3, 11))]


def test_spool_files_hold_the_exact_bytes(tmp_path: Path) -> None:
    pages = daily_pages(DAY_A)
    spool = spool_daily_activity(pages, tmp_path / "s1")
    assert [Path(f).read_bytes() for f in spool.files()] == [p.page.body for p in pages]
    lines = [json.loads(line) for line in spool.manifest.read_text().splitlines()]
    assert [line["page"] for line in lines] == [1, 2, 3]
    assert (SAMPLES / "team_daily_activity_page1_size5.json").read_bytes() == pages[0].page.body
