"""`build_report`: one self-contained, offline HTML usage report (plotly.js inlined, data embedded).

Default range: the 30 days ending on the last day with data (yesterday when the marts are empty); with
only ``start`` the range ends there too, with only ``end`` it is the 30 days ending at ``end``. The
"DEMO DATA" banner comes from the snapshot's ``marts_meta.is_demo`` (copied from ``raw.extract_source``
at publish time), or from ``raw.extract_source`` when reading the warehouse file directly.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import plotly.graph_objects as go
import polars as pl
from plotly.offline import get_plotlyjs

from pipeline import query
from pipeline.query.params import DEFAULT_RANGE_DAYS, DateLike, date_range, default_range, parse_date
from pipeline.report import charts

_PLOT_CONFIG = {"displaylogo": False, "responsive": True}
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1rem 2rem;
       color: #222; }
.demo { background: #b00020; color: #fff; font-weight: 700; font-size: 1.3rem; padding: .8rem 1rem;
        text-align: center; letter-spacing: .05em; border-radius: 4px; }
.meta { color: #555; }
.kpis { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1rem 0; }
.kpi { border: 1px solid #ddd; border-radius: 6px; padding: .6rem 1rem; min-width: 10rem; }
.kpi b { display: block; font-size: 1.4rem; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .8rem; text-align: right; }
th:nth-child(-n+2), td:nth-child(-n+2) { text-align: left; }
.chart { margin: 1.5rem 0; }
.empty { color: #777; font-style: italic; }
"""


@dataclass(frozen=True)
class _Data:
    leaderboard: pl.DataFrame
    series: pl.DataFrame
    models: pl.DataFrame
    hourly: pl.DataFrame
    daily_success: pl.DataFrame
    efficiency: pl.DataFrame


def report_range(
    start: DateLike | None, end: DateLike | None, last_day: date | None, days: int = DEFAULT_RANGE_DAYS
) -> tuple[date, date]:
    """The validated report range (see the module docstring for the defaults)."""
    if end is None:
        last = last_day or default_range().end
        if start is not None:
            last = max(last, parse_date(start, "start"))
    else:
        last = parse_date(end, "end")
    first = parse_date(start, "start") if start is not None else last - timedelta(days=days - 1)
    span = date_range(first, last)
    return span.start, span.end


def build_report(
    db_path: str | os.PathLike[str] | None,
    output: str | os.PathLike[str],
    start: DateLike | None = None,
    end: DateLike | None = None,
) -> Path:
    """Write the HTML report for ``start``..``end`` (inclusive) to ``output`` atomically; return its path."""
    info = query.data_info(db_path)
    first, last = report_range(start, end, info.last_day)
    data = _collect(db_path, first, last)
    document = _render(data, first, last, info.is_demo, datetime.now(UTC))
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(document, encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _collect(db: str | os.PathLike[str] | None, first: date, last: date) -> _Data:
    return _Data(
        leaderboard=query.leaderboard(first, last, by="tokens", db=db),
        series=query.timeseries(first, last, by="team", db=db),
        models=query.model_usage(first, last, limit=10, db=db),
        hourly=query.hourly_usage(first, last, tz="UTC", db=db),
        daily_success=query.success_rate(first, last, daily=True, db=db),
        efficiency=query.cost_efficiency(first, last, limit=40, db=db),
    )


def _render(data: _Data, first: date, last: date, is_demo: bool | None, now: datetime) -> str:
    sections = [
        _chart(charts.daily_tokens_by_team(data.series), data.series.height),
        _chart(charts.top_models_by_spend(data.models), data.models.height),
        _chart(charts.weekday_hour_heatmap(data.hourly), data.hourly.height, "no hourly data (spend logs)"),
        _chart(charts.success_rate_over_time(data.daily_success), data.daily_success.height),
        _chart(charts.cost_efficiency_scatter(data.efficiency), data.efficiency.height),
    ]
    banner = (
        '<div class="demo">DEMO DATA: synthetic usage from the demo gateway, not real traffic</div>'
        if is_demo
        else ""
    )
    title = "LiteLLM usage report" + (" (DEMO DATA)" if is_demo else "")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}: {first} to {last}</title>
<style>{_STYLE}</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
{banner}
<h1>{html.escape(title)}</h1>
<p class="meta">Range: <b>{first}</b> to <b>{last}</b> (UTC days, inclusive) &middot;
generated {now.strftime("%Y-%m-%d %H:%M:%S")} UTC</p>
{_kpis(data.leaderboard)}
<h2>Top teams by tokens</h2>
{_leaderboard_table(data.leaderboard.head(10))}
{"".join(sections)}
</body>
</html>
"""


def _chart(fig: go.Figure, rows: int, empty: str = "no data in this range") -> str:
    if rows == 0:
        title = fig.layout.title.text or ""
        return (
            f'<div class="chart"><h3>{html.escape(title)}</h3><p class="empty">{html.escape(empty)}</p></div>'
        )
    body = fig.to_html(full_html=False, include_plotlyjs=False, config=_PLOT_CONFIG)
    return f'<div class="chart">{body}</div>'


def _kpis(board: pl.DataFrame) -> str:
    tokens = int(board["total_tokens"].sum()) if board.height else 0
    spend = float(board["spend"].sum()) if board.height else 0.0
    requests = int(board["api_requests"].sum()) if board.height else 0
    ok = int(board["successful_requests"].sum()) if board.height else 0
    rate = f"{ok / requests:.2%}" if requests else "n/a"
    items = [
        ("total tokens", f"{tokens:,}"),
        ("spend", f"${spend:,.2f}"),
        ("requests", f"{requests:,}"),
        ("success rate", rate),
        ("teams", f"{board.height:,}"),
    ]
    cells = "".join(f'<div class="kpi">{html.escape(k)}<b>{html.escape(v)}</b></div>' for k, v in items)
    return f'<div class="kpis">{cells}</div>'


def _leaderboard_table(board: pl.DataFrame) -> str:
    if board.height == 0:
        return '<p class="empty">no data in this range</p>'
    rows = []
    for row in board.iter_rows(named=True):
        rate = "n/a" if row["success_rate"] is None else f"{row['success_rate']:.1%}"
        share = "n/a" if row["share"] is None else f"{row['share']:.1%}"
        cells = [
            str(row["rank"]),
            html.escape(row["team_alias"] or row["team_id"]),
            f"{row['total_tokens']:,}",
            share,
            f"${row['spend']:,.2f}",
            f"{row['api_requests']:,}",
            rate,
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(
        f"<th>{h}</th>" for h in ("#", "team", "tokens", "share", "spend", "requests", "success rate")
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
