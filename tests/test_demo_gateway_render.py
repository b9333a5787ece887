"""Vectorised spend-log rendering: same rows as the reference renderer, faithful shape, tie-aware paging."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

import polars as pl
import pytest

from pipeline.demo_gateway import spend_logs
from pipeline.demo_gateway.config import GatewayConfig
from pipeline.demo_gateway.daily import RenderOptions
from pipeline.demo_gateway.dataset import build_dataset
from pipeline.demo_gateway.spend_logs import SpendLogQuery, SpendLogStore, page_rows, render_row
from pipeline.demo_gateway.spend_render import RenderedRows, render_rows
from tests.samples import SAMPLES_DIR

SAMPLE = SAMPLES_DIR / "spend_logs_v2_page1.json"
OPTIONS = (
    RenderOptions(),
    RenderOptions(omit_optional_fields=True),
    RenderOptions(extra_unknown_fields=True),
    RenderOptions(omit_optional_fields=True, extra_unknown_fields=True),
)


@pytest.fixture(scope="module")
def logs() -> pl.DataFrame:
    cfg = GatewayConfig(
        days=6, requests_per_day=300, seed=11, end_day=date(2026, 3, 10), end_day_fraction=0.5
    )
    return build_dataset(cfg).spend_logs


def _keys(value: Any) -> Any:
    """The nested key order of a JSON value."""
    if isinstance(value, dict):
        return [(k, _keys(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_keys(v) for v in value]
    return None


@pytest.mark.parametrize("options", OPTIONS)
def test_rows_equal_the_reference_renderer(logs: pl.DataFrame, options: RenderOptions) -> None:
    texts = render_rows(logs, options).to_list()
    assert len(texts) == logs.height
    for text, row in zip(texts, logs.iter_rows(named=True), strict=True):
        got, want = json.loads(text), render_row(row, options)
        assert got == want
        assert _keys(got) == _keys(want)


def test_rows_round_trip_to_dataset_values_in_sample_shape(logs: pl.DataFrame) -> None:
    sample = json.loads(SAMPLE.read_text())["data"][0]
    rows = [json.loads(t) for t in render_rows(logs).to_list()]
    for got, want in zip(rows, logs.iter_rows(named=True), strict=True):
        assert list(got) == list(sample) and list(got["metadata"]) == list(sample["metadata"])
        for column in ("request_id", "spend", "total_tokens", "prompt_tokens", "completion_tokens", "status"):
            assert got[column] == want[column]
        assert type(got["spend"]) is float
        assert datetime.fromisoformat(got["startTime"]) == want["start_time"]
        assert datetime.fromisoformat(got["endTime"]) == want["end_time"]
        assert datetime.fromisoformat(got["completionStartTime"]) == want["completion_start_time"]
        assert got["cache_hit"] == str(want["cache_hit"])
        assert isinstance(got["request_tags"], str if want["tags_as_string"] else list)
        assert got["metadata"]["user_api_key"] == got["api_key"] == want["api_key"]
        if not want["failed"]:
            assert got["metadata"]["cost_breakdown"]["total_cost"] == want["spend"]
    assert {type(r["request_tags"]) for r in rows} == {str, list}
    assert any(r["status"] is None for r in rows) and any(r["metadata"]["error_information"] for r in rows)


def test_floats_print_like_python_without_exponent(logs: pl.DataFrame) -> None:
    texts = render_rows(logs).to_list()
    spends = [re.search(r'"spend":([^,]+),', t).group(1) for t in texts]  # type: ignore[union-attr]
    for text, value in zip(spends, logs["spend"], strict=True):
        assert float(text) == value
        if "e" not in repr(value):
            assert text == repr(value)


def test_strings_needing_escapes_round_trip(logs: pl.DataFrame) -> None:
    odd = 'chatcmpl-"quoted"\\back\nslash'
    frame = logs.head(3).with_columns(request_id=pl.lit(odd), litellm_call_id=pl.lit("tab\there"))
    for text in render_rows(frame).to_list():
        row = json.loads(text)
        assert row["request_id"] == odd and row["litellm_call_id"] == "tab\there"


def test_page_rows_matches_a_full_sort_with_ties() -> None:
    starts = sorted((i * 7919) % 97 // 3 for i in range(400))
    window = pl.DataFrame(
        {"row": range(400), "start_ms": starts}, schema={"row": pl.UInt32, "start_ms": pl.Int64}
    )
    for seed in (1, 2, 3):
        for descending in (False, True):
            full = window.with_columns(tie=pl.col("row").hash(seed=seed)).sort(
                ["start_ms", "tie"], descending=[descending, False]
            )
            for offset, size in ((0, 1), (0, 50), (13, 37), (390, 50), (399, 5), (400, 10), (1000, 10)):
                got = page_rows(window, "start_ms", descending, offset, size, seed)
                assert got["row"].to_list() == full["row"].slice(offset, size).to_list()


def test_rendered_rows_join_slices_of_one_buffer(logs: pl.DataFrame) -> None:
    texts = render_rows(logs).to_list()
    rendered = RenderedRows(logs, chunk_rows=500)
    assert len(rendered) == logs.height and rendered.nbytes == sum(len(t.encode()) for t in texts)
    picks = [logs.height - 1, 0, 499, 500, 501, 7, 7]
    joined = rendered.join(pl.Series(picks, dtype=pl.UInt32))
    assert joined == ",".join(texts[i] for i in picks).encode()
    assert rendered.join(pl.Series([], dtype=pl.UInt32)) == b""


def test_prerendered_start_time_pages_pick_the_polars_path_rows(
    logs: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spend_logs, "RENDER_CHUNK_ROWS", 97)
    tied = logs.with_columns(start_ms=pl.col("start_ms") // 600_000 * 600_000)
    store = SpendLogStore(tied, count_cap=500)
    store.prerender()
    lo, hi = tied["start_ms"].min(), tied["start_ms"].max()
    assert isinstance(lo, int) and isinstance(hi, int)
    seq = nonempty = 0
    for start, end in ((lo, hi), (lo + 3_600_000, lo + 7_200_000), (hi + 1, hi + 2)):
        for descending in (False, True):
            for page, size in ((1, 1), (1, 50), (3, 37), (2, 333), (9, 100), (1, 1000)):
                seq += 1
                q = SpendLogQuery(start, end, page, size, "start_ms", descending, ())
                fast = json.loads(b"".join(store.respond_parts(q, RenderOptions(), seq, cache=True)))
                slow = json.loads(store.respond(q, RenderOptions(), seq, cache=True))
                got, rows = fast.pop("data"), slow.pop("data")
                assert fast == slow
                assert [r["startTime"] for r in got] == [r["startTime"] for r in rows]
                assert sorted(r["request_id"] for r in got) == sorted(r["request_id"] for r in rows)
                nonempty += bool(rows)
    assert nonempty >= 15


def test_rendered_rows_span_is_zero_copy_across_blocks(logs: pl.DataFrame) -> None:
    texts = render_rows(logs).to_list()
    rendered = RenderedRows(logs, chunk_rows=500)
    for a, b in ((0, 1), (3, 499), (490, 1010), (logs.height - 2, logs.height)):
        pieces = rendered.span(a, b)
        assert all(isinstance(p, memoryview) for p in pieces) and len(pieces) == (b - 1) // 500 - a // 500 + 1
        assert b",".join(pieces) == ",".join(texts[a:b]).encode()
        assert bytes(rendered.row(a)) == texts[a].encode()
