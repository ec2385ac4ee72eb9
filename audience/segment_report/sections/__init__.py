"""One function per report section: its dataclass into an HTML ``<section>`` with charts and tables.

One module per section or group of sections; this package re-exports the ``render_*`` functions.
"""

from audience.segment_report.sections.data_quality import render_data_quality
from audience.segment_report.sections.modeling import render_k_selection, render_personas, render_segments
from audience.segment_report.sections.monitoring import render_monitoring
from audience.segment_report.sections.overview import render_overview
from audience.segment_report.sections.scores import render_scores
from audience.segment_report.sections.transitions import render_transitions
from audience.segment_report.sections.validation import render_validation

__all__ = [
    "render_data_quality",
    "render_k_selection",
    "render_monitoring",
    "render_overview",
    "render_personas",
    "render_scores",
    "render_segments",
    "render_transitions",
    "render_validation",
]
