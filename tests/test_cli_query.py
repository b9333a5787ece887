"""`litellm-usage query`: formats, options and exit codes (via pipeline.cli.main, and one subprocess)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from pipeline import cli, query
from tests.test_query_seed import seeded_warehouse

RANGE = ["--start", "2026-03-01", "--end", "2026-03-03"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = seeded_warehouse(tmp_path_factory.mktemp("wh") / "usage.duckdb")
    yield path
    query.close_cached()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["query", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_table_is_the_default_format(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "leaderboard", *RANGE, "--db", str(db))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert "team_alias" in lines[1] and "share" in lines[1]
    assert [line.split("┆")[1].strip() for line in lines if "t-" in line or "Unassigned" in line] == [
        "t-alpha",
        "t-beta",
        "Unassigned",
    ]
    assert lines[-1] == "(3 rows)"


def test_csv_and_json_match_the_query_function(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = query.cost_efficiency("2026-03-01", "2026-03-03", team="alpha", db=db)
    code, out, _ = _run(
        capsys, "cost-efficiency", *RANGE, "--team", "alpha", "--format", "csv", "--db", str(db)
    )
    assert code == 0
    parsed = pl.read_csv(io.StringIO(out))
    assert parsed.columns == expected.columns
    assert parsed["spend_per_1k_tokens"].to_list() == pytest.approx(expected["spend_per_1k_tokens"].to_list())
    code, out, _ = _run(capsys, "timeseries", *RANGE, "--by", "model", "--format", "json", "--db", str(db))
    assert code == 0
    records = json.loads(out)
    assert len(records) == 5
    assert records[0] == {**records[0], "date": "2026-03-01", "model": "claude-3-5", "total_tokens": 700}


def test_parquet_needs_output_and_round_trips(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "models", *RANGE, "--format", "parquet", "--db", str(db))
    assert (code, out) == (2, "")
    assert err == "litellm-usage query: error: --format parquet needs --output FILE\n"
    target = tmp_path / "models.parquet"
    code, out, err = _run(
        capsys, "models", *RANGE, "--format", "parquet", "--output", str(target), "--db", str(db)
    )
    assert (code, out) == (0, "")
    assert f"wrote 3 rows to {target}" in err
    assert pl.read_parquet(target).equals(query.model_usage("2026-03-01", "2026-03-03", db=db))


def test_options_reach_the_query_functions(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys, "leaderboard", *RANGE, "--by", "spend", "--limit", "1", "--format", "csv", "--db", str(db)
    )
    assert code == 0
    assert pl.read_csv(io.StringIO(out))["team_id"].to_list() == ["t-beta"]
    argv = ["success-rate", *RANGE, "--by", "day", "--team", "t-alpha", "--team", "beta", "--format", "csv"]
    code, out, _ = _run(capsys, *argv, "--db", str(db))
    assert code == 0
    assert pl.read_csv(io.StringIO(out)).height == 4
    argv = [
        "hourly",
        "--start",
        "2026-03-29",
        "--end",
        "2026-03-29",
        "--tz",
        "Europe/Berlin",
        "--model",
        "claude",
    ]
    code, out, _ = _run(capsys, *argv, "--format", "json", "--db", str(db))
    assert code == 0
    assert [(r["local_hour"], r["api_requests"]) for r in json.loads(out)] == [(1, 6), (23, 1)]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["leaderboard", "--start", "2026-13-01", "--end", "2026-03-03"],
            "start: '2026-13-01' is not a calendar date",
        ),
        (["leaderboard", "--start", "2026-03-03", "--end", "2026-03-01"], "start: 2026-03-03 is after end"),
        (["team-usage", *RANGE, "--team", "alpah"], "did you mean 'alpha'"),
        (["models", *RANGE, "--model", "gpt-4o-mni"], "unknown model 'gpt-4o-mni'"),
        (["hourly", *RANGE, "--tz", "Nowhere/Town"], "tz: 'Nowhere/Town' is not a known time zone"),
        (["leaderboard", *RANGE, "--by", "team"], "by: 'team' is not supported"),
        (["success-rate", *RANGE, "--by", "spend"], "by: 'spend' is not supported"),
        (["leaderboard", *RANGE, "--limit", "0"], "limit: 0 is not a positive integer"),
        (["timeseries", *RANGE, "--tz", "UTC"], "--tz does not apply to timeseries"),
        (["leaderboard", "--end", "03/03/2026"], "end: '03/03/2026' is not a date"),
    ],
)
def test_invalid_input_exits_2_with_one_line(
    db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = _run(capsys, *argv, "--db", str(db))
    assert (code, out) == (2, "")
    assert err.startswith("litellm-usage query: error: ")
    assert message in err
    assert err.count("\n") == 1


def test_argparse_errors_also_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["query", "nonsense"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_missing_warehouse_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "leaderboard", "--db", str(tmp_path / "none.duckdb"))
    assert (code, out) == (1, "")
    assert "no warehouse yet: run `litellm-usage refresh`" in err


def test_default_range_is_valid_without_dates(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "team-usage", "--format", "csv", "--db", str(db))
    assert code == 0
    assert out.splitlines()[0].startswith("team_id,team_alias,active_days,")


@pytest.mark.slow
def test_entry_point_subprocess(db: Path) -> None:
    exe = Path(sys.executable).with_name("litellm-usage")
    done = subprocess.run(
        [str(exe), "query", "leaderboard", *RANGE, "--format", "json"],
        env={"LITELLM_USAGE_DB": str(db), "PATH": str(exe.parent)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert [row["team_id"] for row in json.loads(done.stdout)] == ["t-alpha", "t-beta", "Unassigned"]
    failed = subprocess.run(
        [str(exe), "query", "leaderboard", "--start", "bad"],
        env={"LITELLM_USAGE_DB": str(db), "PATH": str(exe.parent)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert failed.returncode == 2
    assert failed.stderr.startswith("litellm-usage query: error: start: 'bad' is not a date")
