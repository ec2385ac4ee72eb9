"""`audience report`: a self-contained HTML report of the segments, read from the warehouse file.

Two pure, testable steps, each in its own module:

* :func:`load_report_data` (:mod:`.queries`, over :mod:`.warehouse`) opens the DuckDB file
  read-only and turns the marts into the plain dataclasses of :mod:`.model`, one per section.
* :func:`render_report` (:mod:`.document`, over :mod:`.sections` and :mod:`.markup`) turns that
  into one HTML document: inline CSS, inline SVG charts from :mod:`audience.charts`, no scripts
  and no external resources, so it opens offline.

:func:`write_report` does both and writes the file atomically; `audience report` calls it.
"""

from __future__ import annotations

from audience.segment_report.document import render_report, write_report
from audience.segment_report.model import SECTIONS, ReportData
from audience.segment_report.queries import load_report_data

__all__ = ["SECTIONS", "ReportData", "load_report_data", "render_report", "write_report"]
