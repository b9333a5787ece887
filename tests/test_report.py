"""The HTML usage report: produced from seeded marts, data embedded, offline (no external resource loads)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from pipeline import cli, query
from pipeline.report import build_report, report_range
from tests.test_query_seed import seeded_warehouse


@pytest.fixture(autouse=True)
def _close_readers() -> Iterator[None]:
    yield
    query.close_cached()


def _split(document: str) -> tuple[str, str]:
    head, body = document.split("</head>", 1)
    return head, body


def test_report_is_self_contained_and_embeds_its_data(tmp_path: Path) -> None:
    db = seeded_warehouse(tmp_path / "usage.duckdb", is_demo=True)
    path = build_report(db, tmp_path / "out" / "report.html", "2026-03-01", "2026-03-31")
    assert path == tmp_path / "out" / "report.html"
    assert sorted(p.name for p in path.parent.iterdir()) == ["report.html"]
    document = path.read_text(encoding="utf-8")
    head, body = _split(document)
    # plotly.js is inlined once in <head>; each chart is a Plotly.newPlot call with its data as JSON
    assert head.count("<script") == 1
    assert len(head) > 1_000_000
    assert body.count("Plotly.newPlot(") == 5
    for name in ('"name":"alpha"', '"name":"beta-renamed"', '"claude-3-5"', '"gpt-4o-mini"'):
        assert name in body
    assert "DEMO DATA" in body and 'class="demo"' in body
    assert "Range: <b>2026-03-01</b> to <b>2026-03-31</b>" in body
    assert re.search(r"generated \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", body)
    assert "<td>alpha</td><td>3,000</td><td>78.9%</td>" in body


def test_report_loads_no_external_resource(tmp_path: Path) -> None:
    db = seeded_warehouse(tmp_path / "usage.duckdb")
    document = build_report(db, tmp_path / "report.html", "2026-03-01", "2026-03-31").read_text(
        encoding="utf-8"
    )
    # Resource-loading markup: no element may pull anything in (everything is inline), and CSS may not import.
    for pattern in (
        r"<script\b[^>]*\bsrc\s*=",
        r"<link\b[^>]*\bhref\s*=",
        r"<(img|iframe|embed|object|source|video|audio)\b",
        r"@import",
        r"url\(\s*['\"]?(https?:)?//",
    ):
        assert not re.search(pattern, document, flags=re.IGNORECASE), pattern
    # plotly.js itself contains URL strings (docs links in error messages, the topojson CDN used only by
    # geo traces, which this report has none of), so http(s) strings are only forbidden outside plotly.js:
    # the body (our markup and the chart scripts) must not mention any URL, nor fetch/import anything.
    _, body = _split(document)
    assert not re.search(r"https?://", body)
    assert not re.search(r"\b(fetch|importScripts|XMLHttpRequest)\b|import\(", body)
    assert "cdn.plot.ly/plotly" not in document


def test_no_banner_for_real_data_and_empty_ranges_say_so(tmp_path: Path) -> None:
    db = seeded_warehouse(tmp_path / "usage.duckdb", is_demo=False)
    body = _split(build_report(db, tmp_path / "r.html", "2025-01-01", "2025-01-31").read_text())[1]
    assert "DEMO DATA" not in body
    assert body.count("no data in this range") == 5  # leaderboard table + 4 daily charts
    assert "no hourly data (spend logs)" in body
    assert "Plotly.newPlot(" not in body


def test_default_range_ends_on_the_last_day_with_data(tmp_path: Path) -> None:
    assert report_range(None, None, date(2026, 3, 3)) == (date(2026, 2, 2), date(2026, 3, 3))
    assert report_range("2026-03-02", None, date(2026, 3, 3)) == (date(2026, 3, 2), date(2026, 3, 3))
    assert report_range(None, "2026-01-30", date(2026, 3, 3)) == (date(2026, 1, 1), date(2026, 1, 30))
    with pytest.raises(query.InvalidRangeError):
        report_range("2026-03-04", "2026-03-01", None)
    db = seeded_warehouse(tmp_path / "usage.duckdb")
    body = _split(build_report(db, tmp_path / "r.html").read_text())[1]
    assert "Range: <b>2026-02-02</b> to <b>2026-03-03</b>" in body


def test_report_cli_prints_the_path_and_maps_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = seeded_warehouse(tmp_path / "usage.duckdb")
    assert cli.main(["report", "--db", str(db), "--start", "2026-03-01", "--end", "2026-03-03"]) == 0
    out, _ = capsys.readouterr()
    assert out == f"{tmp_path / 'report.html'}\n"
    assert (tmp_path / "report.html").stat().st_size > 1_000_000
    assert cli.main(["report", "--db", str(db), "--start", "2026-02-31"]) == 2
    assert (
        "litellm-usage report: error: start: '2026-02-31' is not a calendar date" in capsys.readouterr().err
    )
    assert (
        cli.main(["report", "--db", str(tmp_path / "none.duckdb"), "--output", str(tmp_path / "x.html")]) == 1
    )
    assert "no warehouse yet" in capsys.readouterr().err
