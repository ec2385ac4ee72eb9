"""Orders and order lines: BG/NBD purchase timing and Gamma-Gamma order values, vectorised."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import params as P
from ._people import People, Window, type_param
from ._shapes import one_time_buyers
from ._util import beta_mean, choice, group_offsets, group_sum, owner_index, rank_in_group

CATEGORY_P = np.array([t.category_weights for t in P.TYPES], dtype=float)
CATEGORY_P /= CATEGORY_P.sum(axis=1, keepdims=True)


def draw_by_type(rng: np.random.Generator, types: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Categorical draw per element from the row of ``table`` selected by its type."""
    u = rng.random(len(types))
    out = np.empty(len(types), dtype=np.int64)
    cum = np.cumsum(table, axis=1)
    for t in range(table.shape[0]):  # loop over the 5 types, not over customers
        sel = types == t
        out[sel] = np.searchsorted(cum[t] / cum[t, -1], u[sel], side="right")
    return np.minimum(out, table.shape[1] - 1)


def draw_products(rng: np.random.Generator, categories: np.ndarray) -> np.ndarray:
    """Global product index (category * PRODUCTS_PER_CATEGORY + rank); popular items are drawn more."""
    rank = (P.PRODUCTS_PER_CATEGORY * rng.random(len(categories)) ** 2).astype(np.int64)
    return categories * P.PRODUCTS_PER_CATEGORY + rank


@dataclass
class Baskets:
    """Order values and lines of a set of orders (all amounts in cents)."""

    total: np.ndarray  # order_total = sum of lines (after discount)
    discount: np.ndarray
    status: np.ndarray
    n_lines: np.ndarray
    line_product: np.ndarray
    line_qty: np.ndarray
    line_unit: np.ndarray

    @property
    def first_product(self) -> np.ndarray:
        """Product of the first line of each order."""
        return self.line_product[group_offsets(self.n_lines)]


def draw_baskets(
    rng: np.random.Generator,
    types: np.ndarray,
    aov: np.ndarray,
    disc_prob: np.ndarray,
    disc_frac: np.ndarray,
    welcome: np.ndarray,
) -> Baskets:
    """Gamma-Gamma order values split into lines whose quantity * unit price sums to the total."""
    n = len(types)
    shape = type_param(types, "order_value_shape")
    value = np.maximum(rng.gamma(shape, aov / shape), 5.0)
    n_lines = 1 + np.minimum(rng.poisson(type_param(types, "extra_lines_mean")), 5)
    owner = owner_index(n_lines)
    share = rng.gamma(1.0, 1.0, len(owner))
    share /= group_sum(share, n_lines)[owner]
    target = np.round(value * 100).astype(np.int64)
    line = np.floor(share * (target - n_lines)[owner]).astype(np.int64) + 1
    last = group_offsets(n_lines) + n_lines - 1
    line[last] += target - group_sum(line, n_lines)
    qty = 1 + choice(rng, len(owner), P.QUANTITY_P)
    qty = np.where(line >= qty * 100, qty, 1)
    unit = line // qty
    total = group_sum(unit * qty, n_lines)

    has_disc = rng.random(n) < disc_prob
    frac = beta_mean(rng, disc_frac, 30.0)
    welcome_frac = 0.10 + 0.05 * rng.random(n)
    is_welcome = welcome & (rng.random(n) < 0.6)
    frac = np.where(is_welcome, welcome_frac, np.where(has_disc, frac, 0.0)).clip(0.0, 0.7)
    discount = np.round(total * frac / (1.0 - frac)).astype(np.int64)

    category = draw_by_type(rng, types[owner], CATEGORY_P)
    return Baskets(
        total=total,
        discount=discount,
        status=choice(rng, n, P.ORDER_STATUS_P).astype(np.int8),
        n_lines=n_lines,
        line_product=draw_products(rng, category),
        line_qty=qty,
        line_unit=unit,
    )


@dataclass
class Orders:
    """Orders of a chunk, sorted by customer then time."""

    owner: np.ndarray  # local person index
    ts: np.ndarray
    acct2: np.ndarray  # placed on the second account of a re-registered person
    store: np.ndarray  # placed in a store: no web session
    baskets: Baskets

    def __len__(self) -> int:
        return len(self.owner)


def draw_orders(
    rng: np.random.Generator,
    pp: People,
    win: Window,
    one_time_share: float | None = None,
    shape_rng: np.random.Generator | None = None,
) -> Orders:
    """Simulate the BG/NBD purchase process; sets ``pp.death`` of customers who drop out.

    With ``one_time_share``, buyers drawn from ``shape_rng`` drop out right after their first order
    until that share of buyers orders exactly once (see ``Shape``).
    """
    n = len(pp)
    t = pp.type
    lapsed = t == P.LAPSED
    horizon = np.where(lapsed, pp.death, win.end)
    delay = rng.exponential(type_param(t, "first_order_delay_days")) * P.DAY
    delay = np.where(lapsed, np.minimum(delay, 0.5 * (pp.death - pp.signup)), delay)
    first = pp.signup + delay.astype(np.int64)
    has = (rng.random(n) >= type_param(t, "p_no_order")) & (first < horizon)

    span = np.where(has, (horizon - first) / P.DAY, 0.0)
    n_rep = rng.poisson(pp.lam * span) * has
    cap = type_param(t, "max_orders").astype(np.int64)
    n_rep = np.where(cap > 0, np.minimum(n_rep, cap - 1), n_rep)

    # BG/NBD dropout: after each purchase the customer dies with probability p, so the number of
    # purchases until death is geometric. Lapsed customers die at their forced date instead.
    k_death = rng.geometric(pp.p)
    n_tot = np.where(has, 1 + n_rep, 0)
    dies = ~lapsed & has & (k_death <= n_tot)
    n_tot = np.where(dies, k_death, n_tot)
    if one_time_share is not None:
        assert shape_rng is not None
        once = one_time_buyers(shape_rng, has, n_tot, one_time_share)
        n_tot = np.where(once, 1, n_tot)
        dies = dies | (once & ~lapsed)

    rep_owner = owner_index(n_rep)
    u = np.sort(rep_owner + rng.random(len(rep_owner))) - rep_owner  # sorted uniforms per customer
    rep_ts = first[rep_owner] + (u * span[rep_owner] * P.DAY).astype(np.int64)
    keep = rank_in_group(n_rep) + 2 <= n_tot[rep_owner]
    first_owner = np.flatnonzero(has)
    owner = np.concatenate([first_owner, rep_owner[keep]])
    ts = np.concatenate([first[first_owner], rep_ts[keep]])
    order = np.argsort(owner, kind="stable")  # first purchase stays first within each customer
    owner, ts = owner[order], ts[order]
    is_first = np.zeros(len(owner), dtype=bool)
    is_first[: len(first_owner)] = True
    is_first = is_first[order]

    counts = np.bincount(owner, minlength=n)
    last_ts = np.full(n, -1, dtype=np.int64)
    last_ts[counts > 0] = ts[group_offsets(counts)[counts > 0] + counts[counts > 0] - 1]
    pp.death = np.where(dies, last_ts, pp.death)

    baskets = draw_baskets(
        rng,
        t[owner],
        pp.aov[owner],
        pp.disc_prob[owner],
        pp.disc_frac[owner],
        is_first & (t[owner] == P.NEW_VISITOR),
    )
    acct2 = pp.rereg[owner] & (ts >= pp.rereg_at[owner]) & (rng.random(len(owner)) < 0.5)
    store = rng.random(len(owner)) < type_param(t[owner], "store_share")
    return Orders(owner=owner, ts=ts, acct2=acct2, store=store, baskets=baskets)
