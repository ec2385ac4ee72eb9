"""Shapes of real exports the generator can take: fewer sources, one-time buyers, other currencies,
cancellations and returns written as negative orders.

``Shape()`` (the default) changes nothing: the output stays byte-identical to a run without it.
Every random draw of a shape comes from its own seeded stream, so a shape never changes what the
rest of the simulation draws.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ._mess import order_ids
from ._util import cents_to_decimal, group_offsets, owner_index, rank_in_group, take_text, ts_text

SOURCES = (
    "customers",
    "orders",
    "order_items",
    "web_events",
    "email_events",
    "survey_responses",
    "consent_events",
)
REVERSAL_STATUSES = ("cancelled", "returned")
RETURNED_SHARE = 0.6  # share of reversals that are returns (the rest are cancellations)
CANCEL_DELAY_DAYS = 2.0  # a cancellation follows its order within this many days
RETURN_DELAY_DAYS = (3.0, 30.0)  # a return follows its order within this range of days
DAY = 86_400
# Optional columns of each source in the data contract (docs/data_contract.md): the only ones
# ``drop_columns`` may leave out.
OPTIONAL_COLUMNS = {
    "orders": {"currency", "status", "channel", "discount_amount"},
    "order_items": {"line_number", "category", "quantity", "unit_price"},
    "customers": {
        "email",
        "first_name",
        "last_name",
        "phone",
        "gender",
        "birth_date",
        "country",
        "region",
        "city",
        "income_band",
        "signup_at",
        "updated_at",
    },
    "web_events": {
        "anonymous_id",
        "customer_id",
        "session_id",
        "platform",
        "page_url",
        "product_id",
        "category",
    },
    "email_events": {"customer_id", "email", "campaign_id"},
    "survey_responses": {
        "customer_id",
        "email",
        "nps_score",
        "satisfaction_score",
        "preferred_channel",
        "comment",
    },
    "consent_events": {"source"},
}


@dataclass(frozen=True)
class Shape:
    """How the generated export looks (the defaults reproduce the full synthetic shop).

    * ``sources``: file stems to write (``orders`` is required); the others are not written at all.
    * ``one_time_share``: share of buyers who order exactly once (None = what the simulation draws).
      Buyers with more orders are made one-time buyers (they drop out after their first order)
      until the share is reached; a share below the simulated one changes nothing.
    * ``currency``: ISO 4217 code of the orders; ``mixed_currency_share`` of the orders are in a
      second currency (USD, or EUR when ``currency`` is USD) with the same amounts.
    * ``drop_columns``: columns left out of every file where the contract makes them optional
      (real exports often have no ``discount_amount`` or ``channel``); a file that requires the
      column keeps it. The truth is unchanged.
    * ``cancel_rate``: share of orders followed by a reversal row, the way retail exports record
      them: a new order_id, status ``returned`` or ``cancelled``, the negated order_total, no
      discount, dated after the order; its lines repeat the order's lines with negated quantities.
    """

    sources: tuple[str, ...] = SOURCES
    one_time_share: float | None = None
    currency: str = "EUR"
    mixed_currency_share: float = 0.0
    cancel_rate: float = 0.0
    drop_columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.sources) - set(SOURCES))
        if unknown:
            raise ValueError(f"unknown sources {unknown} (known: {', '.join(SOURCES)})")
        if "orders" not in self.sources:
            raise ValueError("sources must include orders (the one required source)")
        if self.one_time_share is not None and not 0.0 <= self.one_time_share <= 1.0:
            raise ValueError("one_time_share must be within [0, 1]")
        if not re.fullmatch(r"[A-Z]{3}", self.currency):
            raise ValueError(f"currency must be an ISO 4217 code such as GBP, got {self.currency!r}")
        if not 0.0 <= self.mixed_currency_share < 1.0:
            raise ValueError("mixed_currency_share must be within [0, 1)")
        if not 0.0 <= self.cancel_rate < 1.0:
            raise ValueError("cancel_rate must be within [0, 1)")
        optional = {c for stem in self.sources for c in self.droppable(stem, self.drop_columns)}
        required = sorted(set(self.drop_columns) - optional)
        if required:
            raise ValueError(f"cannot drop {required}: not an optional column of any source written")
        # keep the canonical order of the stems whatever order they were given in
        object.__setattr__(self, "sources", tuple(s for s in SOURCES if s in self.sources))

    @staticmethod
    def droppable(stem: str, columns: tuple[str, ...]) -> list[str]:
        """The columns of ``columns`` that are optional in source ``stem``."""
        return [c for c in columns if c in OPTIONAL_COLUMNS[stem]]

    @property
    def second_currency(self) -> str:
        return "EUR" if self.currency == "USD" else "USD"

    def to_meta(self) -> dict:
        return {
            "sources": list(self.sources),
            "one_time_share": self.one_time_share,
            "currency": self.currency,
            "mixed_currency_share": self.mixed_currency_share,
            "cancel_rate": self.cancel_rate,
            "drop_columns": list(self.drop_columns),
        }


def one_time_buyers(rng: np.random.Generator, has: np.ndarray, n_tot: np.ndarray, share: float) -> np.ndarray:
    """Mask of buyers to cut back to their first order so that ``share`` of buyers order once."""
    buyers = int(has.sum())
    already = int((has & (n_tot == 1)).sum())
    multi = np.flatnonzero(has & (n_tot > 1))
    k = min(len(multi), max(0, int(round(share * buyers)) - already))
    out = np.zeros(len(has), dtype=bool)
    if k:
        out[rng.choice(multi, size=k, replace=False)] = True
    return out


def currency_codes(rng: np.random.Generator, shape: Shape, m: int) -> pa.Array:
    """Currency of each of m orders."""
    if shape.mixed_currency_share <= 0:
        return take_text((shape.currency,), np.zeros(m, np.int8))
    second = rng.random(m) < shape.mixed_currency_share
    return take_text((shape.currency, shape.second_currency), second.astype(np.int8))


@dataclass
class Reversals:
    """Reversal rows of one chunk: orders, their lines and the truth linking them to the order."""

    orders: pa.Table
    items: pa.Table
    truth: pa.Table


def reversals(
    rng: np.random.Generator,
    clean_orders: pa.Table,
    clean_items: pa.Table,
    ts: np.ndarray,
    total: np.ndarray,
    n_lines: np.ndarray,
    end: int,
    rate: float,
    first_id: pa.Array,
) -> Reversals:
    """Negative orders reversing ``rate`` of the clean orders (order ids from ``first_id``)."""
    m = clean_orders.num_rows
    picked = np.flatnonzero(rng.random(m) < rate)
    k = len(picked)
    returned = rng.random(k) < RETURNED_SHARE
    lo, hi = RETURN_DELAY_DAYS
    delay = np.where(returned, lo + (hi - lo) * rng.random(k), CANCEL_DELAY_DAYS * rng.random(k))
    when = np.minimum(ts[picked] + (delay * DAY).astype(np.int64), np.maximum(ts[picked], end))
    ids = order_ids(first_id + np.arange(k))
    idx = pa.array(picked)
    status = take_text(REVERSAL_STATUSES, returned.astype(np.int8))
    orders = pa.table(
        {
            "order_id": ids,
            "customer_id": clean_orders.column("customer_id").take(idx),
            "ordered_at": ts_text(when),
            "order_total": cents_to_decimal(-total[picked]),
            "currency": clean_orders.column("currency").take(idx),
            "status": status,
            "channel": clean_orders.column("channel").take(idx),
            "discount_amount": cents_to_decimal(np.zeros(k, np.int64)),
        }
    )
    # lines of the picked orders, in order, with negated quantities and the reversal's id
    offs = group_offsets(n_lines)
    counts = n_lines[picked]
    owner = owner_index(counts)
    line_rows = offs[picked][owner] + rank_in_group(counts)
    lines = clean_items.take(pa.array(line_rows))
    qty = lines.column("quantity").to_numpy()
    lines = lines.set_column(0, "order_id", ids.take(pa.array(owner)))
    lines = lines.set_column(lines.schema.get_field_index("quantity"), "quantity", pa.array(-qty))
    truth = pa.table(
        {
            "order_id": ids,
            "original_order_id": clean_orders.column("order_id").take(idx),
            "customer_id": clean_orders.column("customer_id").take(idx),
            "status": status,
            "order_total": cents_to_decimal(-total[picked]),
        }
    )
    return Reversals(orders=orders, items=lines, truth=truth)
