"""The clean tables of the sources and of the truth, built from the simulated arrays."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from . import params as P
from ._mess import order_ids
from ._orders import Orders
from ._people import NO_DEATH, Ids, People
from ._util import (
    cents_to_decimal,
    group_offsets,
    owner_index,
    prefixed_ids,
    rank_in_group,
    take_text,
    ts_array,
    ts_text,
)
from ._web import (
    EVENT_TYPES,
    PLATFORMS,
    PRODUCT_IDS,
    URLS,
    Devices,
    Events,
    Sessions,
    dictionary,
)


def orders_table(
    orders: Orders,
    channel: np.ndarray,
    acct_ids: pa.Array,
    n: int,
    first_seq: int,
    currency: pa.Array | None = None,
    all_completed: bool = False,
) -> pa.Table:
    """Clean orders table of a chunk (amounts exact to the cent).

    ``currency``: one code per order (default EUR); ``all_completed``: every order is written as
    completed (when cancellations and returns are written as reversal rows of their own).
    """
    b = orders.baskets
    m = len(orders)
    status = np.zeros(m, np.int8) if all_completed else b.status
    return pa.table(
        {
            "order_id": order_ids(first_seq + np.arange(m)),
            "customer_id": acct_ids.take(pa.array(orders.owner + n * orders.acct2)),
            "ordered_at": ts_text(orders.ts),
            "order_total": cents_to_decimal(b.total),
            "currency": currency if currency is not None else take_text(("EUR",), np.zeros(m, np.int8)),
            "status": take_text(P.ORDER_STATUSES, status),
            "channel": take_text(("web", "app", "store"), channel),
            "discount_amount": cents_to_decimal(b.discount),
        }
    )


def items_table(orders: Orders, oid: pa.Array) -> pa.Table:
    """order_items: lines whose quantity * unit_price add up to order_total."""
    b = orders.baskets
    line_order = owner_index(b.n_lines)
    return pa.table(
        {
            "order_id": oid.take(pa.array(line_order)),
            "line_number": pa.array(rank_in_group(b.n_lines) + 1),
            "product_id": dictionary(b.line_product, PRODUCT_IDS),
            "category": dictionary(b.line_product // P.PRODUCTS_PER_CATEGORY, P.CATEGORIES),
            "quantity": pa.array(b.line_qty.astype(np.int64)),
            "unit_price": cents_to_decimal(b.line_unit),
        }
    )


def web_table(
    s: Sessions,
    ev: Events,
    dev: Devices,
    dev_ids: pa.Array,
    acct_ids: pa.Array,
    n: int,
    session_seq: int,
    event_seq: int,
) -> pa.Table:
    """web_events: logged-in sessions carry customer_id next to the device's anonymous_id."""
    es = ev.session
    sid = prefixed_ids("S", session_seq + np.arange(len(s)))
    acct = np.where(s.owner >= 0, s.owner + n * s.acct2, 0)[es]
    no_product = ev.product < 0
    product = np.maximum(ev.product, 0)
    device = s.device[es]
    return pa.table(
        {
            "event_id": prefixed_ids("E", event_seq + np.arange(len(es))),
            "anonymous_id": dictionary(device, dev_ids),
            "customer_id": dictionary(acct, acct_ids, null_mask=~s.logged_in[es]),
            "session_id": dictionary(es, sid),
            "event_type": dictionary(ev.etype, EVENT_TYPES),
            "event_at": ts_array(ev.ts),
            "platform": dictionary(dev.platform[device], PLATFORMS),
            "page_url": dictionary(ev.url, URLS),
            "product_id": dictionary(product, PRODUCT_IDS, null_mask=no_product),
            "category": dictionary(product // P.PRODUCTS_PER_CATEGORY, P.CATEGORIES, null_mask=no_product),
        }
    )


def _nullable_ts(values: np.ndarray, valid: np.ndarray) -> pa.Array:
    return pa.array(np.where(valid, values, 0), mask=~valid).cast(pa.timestamp("s"))


def truth_customers(pp: People, orders: Orders, ids: Ids, emails: pa.Array) -> pa.Table:
    """One truth row per customer_id: the person's latent type and BTYD parameters."""
    n = len(pp)
    acct = orders.owner + n * orders.acct2
    order = np.argsort(acct, kind="stable")
    counts = np.bincount(acct, minlength=2 * n)
    has = counts > 0
    offs = group_offsets(counts)
    ts = orders.ts[order]
    first = np.zeros(2 * n, dtype=np.int64)
    last = np.zeros(2 * n, dtype=np.int64)
    first[has] = ts[offs[has]]
    last[has] = ts[offs[has] + counts[has] - 1]
    rows = np.concatenate([np.arange(n), np.flatnonzero(pp.rereg)])
    acct_rows = np.concatenate([np.arange(n), n + np.flatnonzero(pp.rereg)])
    primary = ids.primary(pp.idx)
    alive = pp.death == NO_DEATH
    return pa.table(
        {
            "customer_id": pa.concat_arrays([primary, ids.second(pp.idx[pp.rereg])]),
            "person_id": ids.person(pp.idx[rows]),
            "latent_type": take_text(P.LATENT_TYPES, pp.type[rows]),
            "is_primary": pa.array(acct_rows < n),
            "primary_customer_id": primary.take(pa.array(rows)),
            "email": emails.take(pa.array(rows)),
            "signup_at": ts_array(np.where(acct_rows < n, pp.signup[rows], pp.rereg_at[rows])),
            "lambda": pa.array(pp.lam[rows]),
            "p_dropout": pa.array(pp.p[rows]),
            "is_alive_at_end": pa.array(alive[rows]),
            "death_at": _nullable_ts(pp.death[rows], ~alive[rows]),
            "first_order_at": _nullable_ts(first[acct_rows], has[acct_rows]),
            "last_order_at": _nullable_ts(last[acct_rows], has[acct_rows]),
            "n_orders": pa.array(counts[acct_rows].astype(np.int64)),
            "aov_mean": pa.array(pp.aov[rows]),
            "discount_prob": pa.array(pp.disc_prob[rows]),
            "discount_frac": pa.array(pp.disc_frac[rows]),
            "web_sessions_per_day": pa.array(pp.web_rate[rows]),
            "email_open_p": pa.array(pp.open_p[rows]),
            "email_click_p": pa.array(pp.click_p[rows]),
            "email_consent_at_signup": pa.array(pp.email_consent[rows]),
            "n_devices": pa.array(pp.n_dev[rows].astype(np.int64)),
            "email_sent": pa.array(np.where(acct_rows < n, pp.extra["email_sent"][rows], 0)),
            "email_opened": pa.array(np.where(acct_rows < n, pp.extra["email_opened"][rows], 0)),
        }
    )


def truth_devices(pp: People, dev: Devices, dev_ids: pa.Array, ids: Ids) -> pa.Table:
    """anonymous_id -> person (null for visitors who never register)."""
    anon = dev.owner < 0
    o = np.maximum(dev.owner, 0)
    return pa.table(
        {
            "anonymous_id": dev_ids,
            "person_id": ids.person(pp.idx[o]).take(pa.array(np.arange(len(o)), mask=anon)),
            "customer_id": ids.primary(pp.idx[o]).take(pa.array(np.arange(len(o)), mask=anon)),
            "platform": take_text(PLATFORMS, dev.platform),
        }
    )
