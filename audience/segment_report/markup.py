"""HTML building blocks of the report: tables, figures, notes, sections and cell formats.

Every value from the data is escaped. Tables carry ``id`` attributes and each cell a
``data-col`` / ``data-value`` pair with the unformatted value, so tests (and anybody scraping
the report) can compare the printed figures with the warehouse.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from audience.charts import esc
from audience.segment_report.model import SECTIONS


@dataclass(frozen=True)
class Col:
    """A table column: key in the row dicts, header text, formatter, numeric alignment."""

    key: str
    header: str
    fmt: Callable[[Any], str] = str
    numeric: bool = False


def plain(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float) and math.isnan(v):
        return "–"
    if isinstance(v, dt.datetime):
        return f"{v:%Y-%m-%d %H:%M:%S}"
    if isinstance(v, dt.date):
        return f"{v:%Y-%m-%d}"
    return str(v)


def raw(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return repr(v)
    return plain(v)


def table(
    table_id: str, columns: Sequence[Col], rows: Sequence[dict[str, Any]], key: str | None = None
) -> str:
    """An HTML table; each cell has data-col (the key) and data-value (the unformatted value)."""
    out = [f'<table id="{esc(table_id)}"><thead><tr>']
    out += [f"<th>{esc(c.header)}</th>" for c in columns]
    out.append("</tr></thead><tbody>")
    for r in rows:
        row_key = f' data-key="{esc(raw(r.get(key)))}"' if key else ""
        out.append(f"<tr{row_key}>")
        for c in columns:
            v = r.get(c.key)
            text = c.fmt(v) if v is not None else "–"
            cls = ' class="num"' if c.numeric else ""
            if c.key in ("status", "is_reconciled"):
                cls = f' class="status-{esc(str(v).lower())}"'
            out.append(f'<td{cls} data-col="{esc(c.key)}" data-value="{esc(raw(v))}">{esc(text)}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def fixed3(v: Any) -> str:
    return f"{float(v):.3f}"


def integer(v: Any) -> str:
    return f"{int(v):,}"


def notes(notes: Sequence[str]) -> str:
    return "".join(f'<p class="note">{esc(n)}</p>' for n in notes)


def figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{esc(caption)}</figcaption></figure>"


def section(sec_id: str, body: str) -> str:
    title = dict(SECTIONS)[sec_id]
    return f'<section id="{sec_id}"><h2>{esc(title)}</h2>{body}</section>'
