"""The transitions section: segment members at each snapshot run, entries and exits."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from audience import charts
from audience.segment_report.markup import Col, figure, integer, notes, plain, section, table
from audience.segment_report.model import (
    Transitions,
)


def _run_label(t: dt.datetime, runs: Sequence[dt.datetime]) -> str:
    same_day = len({r.date() for r in runs}) == 1
    return f"{t:%H:%M:%S}" if same_day else f"{t:%Y-%m-%d %H:%M}"


def render_transitions(tr: Transitions) -> str:
    body = []
    if tr.total_runs >= 2 and tr.members:
        n = len(tr.run_times)
        step = max(1, math.ceil(n / 8))
        ticks = [(float(i), _run_label(t, tr.run_times)) for i, t in enumerate(tr.run_times) if i % step == 0]
        if tr.total_runs > n:
            body.append(f"<p>The last {n} of {tr.total_runs} snapshot runs.</p>")
        body.append('<div class="figs">')
        for seg_type, series in tr.members.items():
            svg = charts.line_chart(
                {name: [(float(i), float(v)) for i, v in enumerate(vals)] for name, vals in series.items()},
                title=f"Members per {seg_type} segment at each snapshot run",
                x_label="snapshot run",
                y_label="members",
                x_domain=(0.0, float(max(n - 1, 1))),
                x_ticks=ticks,
                include_zero=True,
                width=620,
                fig_id=f"fig-transitions-{seg_type}",
            )
            body.append(figure(svg, f"From segment_membership_snapshot ({seg_type} segments)."))
        body.append("</div>")
        if tr.changes:
            body.append("<h3>Entries and exits after the initial load</h3>")
            body.append(
                table(
                    "transitions-table",
                    [
                        Col("transition_date", "date", plain),
                        Col("segment_type", "type"),
                        Col("segment_name", "segment"),
                        Col("entered", "entered", integer, True),
                        Col("exited", "exited", integer, True),
                    ],
                    tr.changes,
                )
            )
        else:
            body.append("<p>No entries or exits since the initial load.</p>")
    body.append(notes(tr.notes))
    return section("transitions", "".join(body))
