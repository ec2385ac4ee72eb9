"""The whole report: sections assembled into one HTML document with inline CSS, written atomically.

No scripts and no external resources (charts are inline SVG from :mod:`audience.charts`), so the
file opens offline.
"""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path

from audience.charts import esc
from audience.segment_report import sections
from audience.segment_report.markup import plain
from audience.segment_report.model import SECTIONS, ReportData
from audience.segment_report.queries import load_report_data

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; margin: 0;
  color: #222; background: #fafafa; line-height: 1.45; }
header { background: #0b3d5c; color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 4px 0; font-size: 24px; }
header p { margin: 0; opacity: .85; font-size: 13px; }
nav { padding: 8px 32px; background: #eef3f7; font-size: 13px; position: sticky; top: 0; }
nav a { margin-right: 14px; color: #0b3d5c; text-decoration: none; }
main { padding: 8px 32px 40px; max-width: 1280px; }
section { background: #fff; border: 1px solid #e2e2e2; border-radius: 6px; padding: 4px 20px 16px;
  margin: 18px 0; }
h2 { font-size: 19px; border-bottom: 1px solid #eee; padding-bottom: 6px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.figs { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
figure { margin: 0; }
svg.chart { max-width: 100%; height: auto; background: #fff; }
figcaption { font-size: 12px; color: #555; max-width: 640px; }
table { border-collapse: collapse; font-size: 12.5px; margin: 6px 0 10px; }
th, td { border-bottom: 1px solid #e6e6e6; padding: 3px 9px; text-align: left; vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { background: #fff7e0; border-left: 4px solid #e6a700; padding: 6px 10px; margin: 8px 0;
  font-size: 13px; }
.status-ok { color: #1a7f37; font-weight: 600; }
.status-warn, .status-fail, .status-false { color: #b42318; font-weight: 600; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0; }
.kpi { background: #f3f7fa; border-radius: 6px; padding: 8px 14px; min-width: 130px; }
.kpi b { display: block; font-size: 20px; }
.kpi span { font-size: 12px; color: #555; }
"""


def render_report(d: ReportData) -> str:
    """The whole report as one HTML document (inline CSS and SVG, no scripts, no external links)."""
    nav = "".join(f'<a href="#{sid}">{esc(title)}</a>' for sid, title in SECTIONS)
    as_of = d.overview.get("as_of_date")
    sub = f"Warehouse {d.db_path} · generated {d.generated_at:%Y-%m-%d %H:%M:%S} UTC" + (
        f" · data as of {plain(as_of)}" if as_of is not None else ""
    )
    parts = [
        sections.render_overview(d),
        sections.render_data_quality(d.data_quality),
        sections.render_k_selection(d.k_selection),
        sections.render_segments(d.segments),
        sections.render_personas(d.personas),
        sections.render_scores(d.scores),
        sections.render_validation(d.validation),
        sections.render_monitoring(d.monitoring),
        sections.render_transitions(d.transitions),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>audience: segment report</title>"
        f"<style>{CSS}</style></head><body>"
        f"<header><h1>audience: segment report</h1><p>{html.escape(sub)}</p></header>"
        f"<nav>{nav}</nav><main>{''.join(parts)}</main></body></html>\n"
    )


def write_report(db_path: str | os.PathLike[str], out_path: str | os.PathLike[str]) -> Path:
    """Read the warehouse at `db_path` and write the report to `out_path` (atomically); returns the path."""
    data = load_report_data(db_path)
    doc = render_report(data)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(doc)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
