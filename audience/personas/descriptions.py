"""One-line persona descriptions and how they print money."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

#: Symbols printed before amounts for common ISO 4217 codes; other codes print as "CHF 12".
CURRENCY_SYMBOLS: dict[str, str] = {
    "USD": "$",
    "GBP": "£",
    "EUR": "€",
    "JPY": "¥",
    "CNY": "¥",
    "INR": "₹",
    "KRW": "₩",
    "ILS": "₪",
    "NGN": "₦",
    "TRY": "₺",
    "VND": "₫",
    "PHP": "₱",
    "UAH": "₴",
}


def currency_label(codes: Sequence[str | None]) -> tuple[str, str]:
    """How descriptions print money for the orders' currencies: ``(prefix, note)``.

    One currency: its symbol (:data:`CURRENCY_SYMBOLS`, e.g. ``"£"``) or its ISO code and a
    space (``"CHF "``), no note. Several currencies: no prefix, and a note naming them (amounts
    of different currencies are not one figure, so no single symbol may be printed). No known
    currency (no orders, or no code on any order): no prefix, no note.
    """
    clean = sorted({str(c).strip().upper() for c in codes if c is not None and str(c).strip()})
    if len(clean) == 1:
        code = clean[0]
        return CURRENCY_SYMBOLS.get(code, f"{code} "), ""
    if len(clean) > 1:
        return "", f"amounts mix currencies ({', '.join(clean)})"
    return "", ""


def _num(x: float) -> str:
    """Compact number: 1,234 / 152 / 14 / 2.3."""
    if not math.isfinite(x):
        return "n/a"
    ax = abs(x)
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:.0f}"
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _duration(days: float) -> str:
    if days >= 365:
        return f"{_num(days / 365.25)} years"
    if days >= 60:
        return f"{_num(days / 30.44)} months"
    return f"{_num(days)} days"


def _rate(x: float) -> str:
    """A share stored as 0..1 or as 0..100, as a percentage."""
    pct = x * 100 if abs(x) <= 1 else x
    return f"{pct:.0f}%"


def _ratio(r: float) -> str:
    """A multiple of the average: 3x / 2.5x / 0.4x / 0.04x / 12x."""
    if r == 0:
        return "0x"
    if abs(r) >= 10:
        return f"{r:.0f}x"
    s = f"{r:.1f}" if abs(r) >= 0.095 else f"{r:.2f}"
    return (s[:-2] if s.endswith(".0") else s) + "x"


def describe_cluster(
    means: Mapping[str, float],
    pop_means: Mapping[str, float],
    levels: Mapping[str, float],
    roles: Mapping[str, str],
    currency: str = "$",
    fallback: Sequence[tuple[str, float, float]] = (),
    currency_note: str = "",
) -> str:
    """One-line description from the role columns' cluster means.

    Only the roles in ``roles`` are spoken about (a role whose column is absent, or was left
    out as uninformative, never appears). Amounts are printed with the ``currency`` prefix;
    ``currency_note`` (e.g. mixed currencies, :func:`currency_label`) is appended in brackets.

    Frequency, average order and recency always appear when available; tenure, discount share,
    sessions and email opens appear when the cluster differs from the population on them (at
    most two, strongest first); the revenue comparison closes the line. Without any role the
    description lists the most distinctive ``fallback`` features ``(name, mean, ratio)``.
    """
    parts: list[str] = []

    def mean(role: str) -> float | None:
        col = roles.get(role)
        if col is None or col not in means or not math.isfinite(means[col]):
            return None
        return float(means[col])

    freq = mean("frequency")
    if freq is not None:
        parts.append("Ordered once" if round(freq, 1) == 1.0 else f"Ordered {_num(freq)} times")
    aov = mean("monetary")
    if aov is not None:
        parts.append(f"avg order {currency}{_num(aov)}")
    rec = mean("recency")
    if rec is not None:
        parts.append(f"last order {_num(rec)} days ago")

    extras: list[tuple[float, str]] = []
    ten = mean("tenure")
    if ten is not None:
        extras.append((abs(levels.get("tenure", 0.5) - 0.5), f"customer for {_duration(ten)}"))
    disc = mean("discount")
    if disc is not None:
        extras.append((abs(levels.get("discount", 0.5) - 0.5), f"{_rate(disc)} discount share"))
    ses = mean("sessions")
    if ses is not None:
        window = " in 90 days" if "90" in roles["sessions"] else ""
        extras.append((abs(levels.get("sessions", 0.5) - 0.5), f"{_num(ses)} sessions{window}"))
    opn = mean("email")
    if opn is not None:
        extras.append((abs(levels.get("email", 0.5) - 0.5), f"opens {_rate(opn)} of emails"))
    extras.sort(key=lambda e: -e[0])
    min_strength = 0.1 if parts else 0.0  # without the core measures, show the extras anyway
    parts.extend(text for strength, text in extras[:2] if strength >= min_strength)

    if not parts:
        parts = [f"{name} {_num(m)} ({_ratio(r)} average)" for name, m, r in fallback if math.isfinite(r)]
        parts = parts or ["Close to the population average"]
    if parts:
        parts[0] = parts[0][0].upper() + parts[0][1:]
    line = ", ".join(parts)

    rev = mean("revenue")
    pop_rev = pop_means.get(roles["revenue"]) if "revenue" in roles else None
    if rev is not None and pop_rev is not None and math.isfinite(pop_rev) and pop_rev > 0:
        ratio = rev / pop_rev
        if ratio >= 1.5 or ratio <= 0.67:
            line += f"; {_ratio(ratio)} the average revenue"
        else:
            line += "; about average revenue"
    if currency_note:
        line += f" ({currency_note})"
    return line + "."
