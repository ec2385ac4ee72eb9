"""The overview section: headline figures, model versions and segment membership."""

from __future__ import annotations

from audience.charts import esc
from audience.segment_report.markup import Col, integer, notes, plain, section, table
from audience.segment_report.model import (
    ReportData,
)
from audience.segment_report.warehouse import not_available


def render_overview(d: ReportData) -> str:
    ov = d.overview
    kpis = []
    for key, label, fmt in (
        ("people", "people in customer_profiles", integer),
        ("buyers", "people with an order", integer),
        ("clustered_people", "people in a K-Means segment", integer),
        ("revenue", "total revenue", lambda v: f"{float(v):,.0f}"),
        ("as_of_date", "as-of date", plain),
    ):
        if ov.get(key) is not None:
            kpis.append(
                f'<div class="kpi" id="kpi-{key}"><b>{esc(fmt(ov[key]))}</b><span>{esc(label)}</span></div>'
            )
    body = [f'<div class="kpis">{"".join(kpis)}</div>'] if kpis else []
    if not kpis:
        body.append(notes([not_available("The overview is", "customer_profiles is missing or empty")]))
    if ov.get("model_versions"):
        items = "".join(f"<li>{esc(k)}: <code>{esc(v)}</code></li>" for k, v in ov["model_versions"])
        body.append(f"<h3>Model versions</h3><ul>{items}</ul>")
    if ov.get("membership"):
        body.append("<h3>Segment membership by type</h3>")
        body.append(
            table(
                "membership-table",
                [
                    Col("segment_type", "segment type"),
                    Col("segments", "segments", integer, True),
                    Col("memberships", "memberships", integer, True),
                    Col("people", "people", integer, True),
                ],
                ov["membership"],
                key="segment_type",
            )
        )
    return section("overview", "".join(body))
