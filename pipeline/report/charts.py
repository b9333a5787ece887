"""Plotly figures for the usage report, each built from a query-module frame."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

TOP_TEAMS = 8
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_LAYOUT = {"template": "plotly_white", "height": 420, "margin": {"l": 60, "r": 20, "t": 50, "b": 50}}


def team_labels(frame: pl.DataFrame) -> dict[str, str]:
    """A unique display label per team id: its alias, or ``alias (id)`` when aliases collide."""
    pairs = frame.select("team_id", "team_alias").unique(subset="team_id", keep="last").iter_rows()
    labels = {team: (alias or team) for team, alias in pairs}
    counts: dict[str, int] = {}
    for label in labels.values():
        counts[label] = counts.get(label, 0) + 1
    return {team: (f"{label} ({team})" if counts[label] > 1 else label) for team, label in labels.items()}


def _top_teams(frame: pl.DataFrame, metric: str, n: int = TOP_TEAMS) -> list[str]:
    totals = (
        frame.group_by("team_id")
        .agg(pl.col(metric).sum())
        .sort([metric, "team_id"], descending=[True, False])
    )
    return totals["team_id"].head(n).to_list()


def daily_tokens_by_team(series: pl.DataFrame) -> go.Figure:
    """Stacked daily total tokens for the top teams, the rest summed as 'other teams'."""
    fig = go.Figure()
    labels = team_labels(series)
    top = _top_teams(series, "total_tokens")
    for team in top:
        rows = series.filter(pl.col("team_id") == team).sort("date")
        fig.add_bar(x=rows["date"].to_list(), y=rows["total_tokens"].to_list(), name=labels[team])
    rest = series.filter(~pl.col("team_id").is_in(top)).group_by("date").agg(pl.col("total_tokens").sum())
    if rest.height:
        rest = rest.sort("date")
        fig.add_bar(x=rest["date"].to_list(), y=rest["total_tokens"].to_list(), name="other teams")
    fig.update_layout(title="Daily tokens per team", barmode="stack", yaxis_title="total tokens", **_LAYOUT)
    return fig


def top_models_by_spend(models: pl.DataFrame) -> go.Figure:
    """Horizontal bars: spend per model (already sorted and limited)."""
    rows = models.reverse()
    fig = go.Figure(
        go.Bar(
            x=rows["spend"].to_list(),
            y=rows["model"].to_list(),
            orientation="h",
            customdata=rows.select("model_group", "total_tokens").rows(),
            hovertemplate=(
                "%{y}<br>group %{customdata[0]}<br>$%{x:.2f}<br>%{customdata[1]:,} tokens<extra></extra>"
            ),
        )
    )
    fig.update_layout(title="Top models by spend", xaxis_title="spend (USD)", **_LAYOUT)
    return fig


def weekday_hour_heatmap(hourly: pl.DataFrame) -> go.Figure:
    """Requests per hour of day (UTC) x weekday, summed over the range."""
    grid = [[0] * 24 for _ in WEEKDAYS]
    cells = hourly.group_by("weekday", "local_hour").agg(pl.col("api_requests").sum())
    for weekday, hour, requests in cells.iter_rows():
        grid[weekday - 1][hour] = requests
    fig = go.Figure(
        go.Heatmap(
            z=grid,
            x=list(range(24)),
            y=list(WEEKDAYS),
            colorscale="Blues",
            hovertemplate="%{y} %{x}:00 UTC<br>%{z:,} requests<extra></extra>",
        )
    )
    fig.update_layout(title="Requests by hour of day and weekday (UTC)", xaxis_title="hour (UTC)", **_LAYOUT)
    fig.update_yaxes(autorange="reversed")
    return fig


def success_rate_over_time(daily: pl.DataFrame) -> go.Figure:
    """Daily success rate: all traffic, plus the top teams by requests."""
    fig = go.Figure()
    overall = (
        daily.group_by("date")
        .agg(pl.col("successful_requests").sum(), pl.col("api_requests").sum())
        .sort("date")
        .with_columns((pl.col("successful_requests") / pl.col("api_requests")).alias("success_rate"))
    )
    fig.add_scatter(
        x=overall["date"].to_list(), y=overall["success_rate"].to_list(), name="all teams", line={"width": 4}
    )
    labels = team_labels(daily)
    for team in _top_teams(daily, "api_requests"):
        rows = daily.filter(pl.col("team_id") == team).sort("date")
        fig.add_scatter(x=rows["date"].to_list(), y=rows["success_rate"].to_list(), name=labels[team])
    fig.update_layout(title="Success rate over time", yaxis_title="successful / requests", **_LAYOUT)
    fig.update_yaxes(tickformat=".0%")
    return fig


def cost_efficiency_scatter(efficiency: pl.DataFrame) -> go.Figure:
    """Spend per 1k tokens against tokens, one marker per team x model, sized by spend."""
    fig = go.Figure()
    labels = team_labels(efficiency)
    peak = max(efficiency["spend"].max() or 0.0, 1e-9) if efficiency.height else 1.0
    for model in sorted(efficiency["model"].unique().to_list()):
        rows = efficiency.filter(pl.col("model") == model)
        fig.add_scatter(
            x=rows["total_tokens"].to_list(),
            y=rows["spend_per_1k_tokens"].to_list(),
            mode="markers",
            name=model,
            marker={"size": [8 + 32 * (s or 0.0) / peak for s in rows["spend"].to_list()], "opacity": 0.75},
            text=[labels[t] for t in rows["team_id"].to_list()],
            customdata=rows["spend"].to_list(),
            hovertemplate=(
                "%{text}<br>%{fullData.name}<br>%{x:,} tokens<br>$%{y:.4f} per 1k tokens"
                "<br>$%{customdata:.2f} spend<extra></extra>"
            ),
        )
    fig.update_layout(
        title="Cost efficiency per team and model",
        xaxis_title="total tokens (log)",
        yaxis_title="spend per 1k tokens (USD)",
        xaxis_type="log",
        **_LAYOUT,
    )
    return fig
