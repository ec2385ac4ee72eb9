"""How the report prints numbers: values, percentages and axis ticks, and HTML escaping."""

from __future__ import annotations

import html
import math
from collections.abc import Callable


def esc(text: object) -> str:
    """Escape any value for use as SVG/HTML text or attribute value."""
    return html.escape(str(text), quote=True)


def fmt_num(value: float | None) -> str:
    """Readable number: thousands separators, fewer decimals for larger values, '–' for missing."""
    if value is None:
        return "–"
    v = float(value)
    if not math.isfinite(v):
        return "–"
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def fmt_pct(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * float(value):.{digits}f}%"


def fmt_tick(value: float) -> str:
    """An axis tick with as few decimals as it needs: 0, 2.5, 20, 12,500, 0.05."""
    v = float(value)
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else "–"
    return f"{v:,.10f}".rstrip("0").rstrip(".")


def fmt_pct_tick(value: float) -> str:
    """A share on a percentage axis with as few decimals as it needs: 20%, 2.5%, 0.25%."""
    return fmt_tick(100 * float(value)) + "%"


def tick_format_for(value_format: Callable[[float], str]) -> Callable[[float], str]:
    """The tick format of an axis whose values print with `value_format`: percentages stay
    percentages (:func:`fmt_pct_tick`), anything else is a plain number (:func:`fmt_tick`)."""
    return fmt_pct_tick if value_format is fmt_pct else fmt_tick


def shorten(text: object, max_chars: int) -> str:
    """`text` itself when it has at most `max_chars` characters, else its start with an ellipsis."""
    text = str(text)
    return text if len(text) <= max_chars else text[: max_chars - 1].rstrip() + "…"
