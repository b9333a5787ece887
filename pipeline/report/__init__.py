"""Self-contained HTML usage report (plotly, works offline)."""

from pipeline.report.build import build_report, report_range

__all__ = ["build_report", "report_range"]
