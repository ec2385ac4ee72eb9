"""The data quality section: reconciliation, quarantine reasons, raw files and unused columns."""

from __future__ import annotations

from audience import charts
from audience.charts import fmt_pct
from audience.segment_report.markup import Col, figure, integer, notes, section, table
from audience.segment_report.model import (
    DataQuality,
)


def render_data_quality(dq: DataQuality) -> str:
    body = [
        "<p>Every raw row is accounted for: raw rows + rejected lines = clean rows + quarantined rows + "
        "duplicate rows removed (dq_reconciliation).</p>"
    ]
    body.extend(_reconciliation(dq))
    body.extend(_quarantine_reasons(dq))
    body.extend(_raw_files(dq))
    body.extend(_unused(dq))
    body.append(notes(dq.notes))
    return section("data-quality", "".join(body))


def _reconciliation(dq: DataQuality) -> list[str]:
    """Rows per source through landing and cleaning, and the share set aside."""
    body: list[str] = []
    if dq.reconciliation:
        body.append(
            table(
                "dq-reconciliation",
                [
                    Col("source", "source"),
                    Col("raw_rows", "raw rows", integer, True),
                    Col("rejected_lines", "rejected lines", integer, True),
                    Col("clean_rows", "clean rows", integer, True),
                    Col("quarantined_rows", "quarantined", integer, True),
                    Col("duplicate_rows_removed", "duplicates removed", integer, True),
                    Col("conflicting_keys", "conflicting keys", integer, True),
                    Col("unaccounted_rows", "unaccounted", integer, True),
                    Col("is_reconciled", "reconciled"),
                ],
                dq.reconciliation,
                key="source",
            )
        )
        sources = [r["source"] for r in dq.reconciliation if r["raw_rows"] or r["rejected_lines"]]
        if sources:
            by = {r["source"]: r for r in dq.reconciliation}
            svg = charts.bar_chart(
                sources,
                {
                    "quarantined": [by[s]["quarantined_rows"] / max(by[s]["raw_rows"], 1) for s in sources],
                    "duplicates": [
                        by[s]["duplicate_rows_removed"] / max(by[s]["raw_rows"], 1) for s in sources
                    ],
                },
                title="Rows set aside, as a share of raw rows",
                value_format=fmt_pct,
                fig_id="fig-dq-shares",
            )
            body.append(
                figure(svg, "Quarantined and duplicate rows per source, relative to the rows landed.")
            )
    return body


def _quarantine_reasons(dq: DataQuality) -> list[str]:
    """The most frequent quarantine reasons (or that no row was quarantined)."""
    body: list[str] = []
    if dq.top_reasons:
        body.append("<h3>Top quarantine reasons</h3><div class='figs'>")
        labels = [f"{r['source']} · {r['reason_code']}" for r in dq.top_reasons]
        svg = charts.bar_chart(
            labels,
            {"rows": [r["quarantined_rows"] for r in dq.top_reasons]},
            title="Quarantined rows by source and reason",
            fig_id="fig-dq-reasons",
        )
        body.append(figure(svg, "The most frequent reasons rows were quarantined (dq_quarantine)."))
        body.append(
            table(
                "dq-top-reasons",
                [
                    Col("source", "source"),
                    Col("reason_code", "reason"),
                    Col("quarantined_rows", "rows", integer, True),
                ],
                dq.top_reasons,
            )
        )
        body.append("</div>")
    elif dq.reconciliation and not any(r["quarantined_rows"] for r in dq.reconciliation):
        body.append("<p>No row was quarantined.</p>")
    return body


def _raw_files(dq: DataQuality) -> list[str]:
    """Raw files by load status, and the files that had problems."""
    body: list[str] = []
    if dq.file_status:
        body.append("<h3>Raw files</h3>")
        body.append(
            table(
                "dq-file-status",
                [
                    Col("file_status", "status"),
                    Col("files", "files", integer, True),
                    Col("rows_loaded", "rows loaded", integer, True),
                    Col("rows_rejected", "rows rejected", integer, True),
                ],
                dq.file_status,
                key="file_status",
            )
        )
        if dq.problem_files:
            body.append("<p>Files that brought nothing usable or had rejected lines:</p>")
            body.append(
                table(
                    "dq-problem-files",
                    [
                        Col("source", "source"),
                        Col("file_path", "file"),
                        Col("file_size", "bytes", integer, True),
                        Col("rows_loaded", "rows loaded", integer, True),
                        Col("rows_rejected", "rows rejected", integer, True),
                        Col("file_status", "status"),
                    ],
                    dq.problem_files,
                )
            )
        else:
            body.append("<p>Every landed raw file loaded without rejected lines.</p>")
    return body


def _unused(dq: DataQuality) -> list[str]:
    """Profile columns left out for lack of information, and the rules they switch off."""
    body: list[str] = []
    if dq.left_out or dq.inactive_rules:
        body.append(
            "<h3>Not used: no information in this data</h3><p>Profile columns whose source has no rows, "
            "that are more than 95% null, or where one value holds 99% of the people are left out "
            "(dq_feature_coverage); rules that use them are inactive and match nobody.</p>"
        )
    if dq.left_out:
        body.append(
            table(
                "dq-left-out",
                [Col("column_name", "column"), Col("source", "source"), Col("reason", "why")],
                dq.left_out,
                key="column_name",
            )
        )
    if dq.inactive_rules:
        body.append(
            table(
                "dq-inactive-rules",
                [Col("segment_name", "rule"), Col("inactive_reason", "why inactive")],
                dq.inactive_rules,
                key="segment_name",
            )
        )
    return body
