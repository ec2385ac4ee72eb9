"""Web and app behaviour: devices (anonymous ids), sessions and events, vectorised."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import params as P
from ._orders import CATEGORY_P, Orders, draw_by_type, draw_products
from ._people import People, Window, type_param
from ._util import group_offsets, grouped_cumsum, owner_index, rank_in_group

BOUNCE, BROWSE, ABANDON, PURCHASE = 0, 1, 2, 3
EVENT_TYPES = ("page_view", "product_view", "add_to_cart", "checkout", "purchase", "login", "search")
PV, PROD, ATC, CO, PUR, LOGIN, SEARCH = range(7)
PLATFORMS = ("web", "app")
WEB, APP = 0, 1
# Tail events closing a session, by kind (-1 = none).
_TAIL = np.array([[-1, -1, -1], [-1, -1, -1], [ATC, CO, -1], [ATC, CO, PUR]], dtype=np.int8)
_MAX_EVENTS = 8

PRODUCT_IDS: tuple[str, ...] = tuple(
    f"P{c + 1}{k + 1:04d}" for c in range(len(P.CATEGORIES)) for k in range(P.PRODUCTS_PER_CATEGORY)
)
_STATIC_URLS = ("/", "/cart", "/checkout", "/checkout/confirmation", "/login")
URL_HOME, URL_CART, URL_CHECKOUT, URL_CONFIRM, URL_LOGIN = range(5)
URL_CAT = len(_STATIC_URLS)
URL_SEARCH = URL_CAT + len(P.CATEGORIES)
URL_PRODUCT = URL_SEARCH + len(P.CATEGORIES)
URLS: tuple[str, ...] = (
    _STATIC_URLS
    + tuple(f"/c/{c}" for c in P.CATEGORIES)
    + tuple(f"/search?q={c}" for c in P.CATEGORIES)
    + tuple(f"/p/{p}" for p in PRODUCT_IDS)
)


@dataclass
class Devices:
    """Devices (cookies / app installs) of a chunk; owner -1 = visitor who never registers."""

    owner: np.ndarray
    platform: np.ndarray
    first: np.ndarray  # per person: index of its first device
    count: np.ndarray  # per person: number of devices

    def __len__(self) -> int:
        return len(self.owner)


def draw_devices(rng: np.random.Generator, pp: People, n_anon: int) -> Devices:
    """1-3 devices per person (the first one a web browser) plus anonymous visitors' devices."""
    owner = owner_index(pp.n_dev)
    rank = rank_in_group(pp.n_dev)
    app = (rank > 0) & (rng.random(len(owner)) < type_param(pp.type[owner], "app_affinity"))
    anon_app = rng.random(n_anon) < 0.3
    return Devices(
        owner=np.concatenate([owner, np.full(n_anon, -1)]),
        platform=np.concatenate([app, anon_app]).astype(np.int8),
        first=group_offsets(pp.n_dev),
        count=pp.n_dev.astype(np.int64),
    )


def pick_device(rng: np.random.Generator, dev: Devices, owner: np.ndarray) -> np.ndarray:
    """Device of each session: the main device 55% of the time, otherwise another one."""
    cnt = dev.count[owner]
    u = rng.random(len(owner))
    other = 1 + (rng.random(len(owner)) * (cnt - 1)).astype(np.int64)
    return dev.first[owner] + np.where((cnt == 1) | (u < 0.55), 0, other)


def browse_kind(rng: np.random.Generator, abandon_share: np.ndarray) -> np.ndarray:
    """Bounce (35%), abandoned cart (type share) or plain browsing."""
    u = rng.random(len(abandon_share))
    return np.where(u < 0.35, BOUNCE, np.where(u < 0.35 + abandon_share, ABANDON, BROWSE)).astype(np.int8)


def logged_in_draw(rng: np.random.Generator, platform: np.ndarray) -> np.ndarray:
    """Apps keep users logged in; on the web only about a third of sessions log in."""
    return rng.random(len(platform)) < np.where(platform == APP, 0.85, 0.35)


@dataclass
class Sessions:
    """Sessions sorted by time; ``anchor`` is the start, or the purchase time of purchase sessions."""

    owner: np.ndarray  # local person index, -1 anonymous visitor
    device: np.ndarray
    anchor: np.ndarray
    kind: np.ndarray
    logged_in: np.ndarray
    acct2: np.ndarray
    focus: np.ndarray  # product in focus

    def __len__(self) -> int:
        return len(self.owner)

    @staticmethod
    def concat(parts: list[Sessions]) -> Sessions:
        """Concatenate and sort by anchor time."""
        cols = {f: np.concatenate([getattr(s, f) for s in parts]) for f in Sessions.__dataclass_fields__}
        order = np.argsort(cols["anchor"], kind="stable")
        return Sessions(**{f: v[order] for f, v in cols.items()})


def draw_sessions(
    rng: np.random.Generator,
    pp: People,
    orders: Orders,
    dev: Devices,
    win: Window,
) -> tuple[Sessions, np.ndarray]:
    """All sessions of a chunk and the channel code of each order (0 web, 1 app, 2 store)."""
    parts = [
        _pre_signup_sessions(rng, pp, dev, win),
        _signup_sessions(rng, pp, dev),
        _browsing_sessions(rng, pp, dev, win),
    ]
    purchases, channel = _purchase_sessions(rng, orders, dev)
    parts.append(purchases)
    parts.append(_anonymous_sessions(rng, dev, win))
    return Sessions.concat(parts), channel


def _focus(rng: np.random.Generator, types: np.ndarray | None, k: int) -> np.ndarray:
    """The product in focus of ``k`` sessions: by latent type, or any category without types."""
    if types is None:
        cat = rng.integers(0, len(P.CATEGORIES), k)
    else:
        cat = draw_by_type(rng, types, CATEGORY_P)
    return draw_products(rng, cat)


def _pre_signup_sessions(rng: np.random.Generator, pp: People, dev: Devices, win: Window) -> Sessions:
    """Anonymous browsing in the 30 days before signup, on the device used to sign up."""
    t = pp.type
    cnt = rng.poisson(P.PRE_SIGNUP_SESSIONS, len(pp))
    o = owner_index(cnt)
    anchor = pp.signup[o] - ((0.05 + rng.random(len(o)) * 30) * P.DAY).astype(np.int64)
    ok = anchor >= win.start
    o, anchor = o[ok], anchor[ok]
    return Sessions(
        owner=o,
        device=dev.first[o],
        anchor=anchor,
        kind=browse_kind(rng, type_param(t[o], "abandon_share")),
        logged_in=np.zeros(len(o), bool),
        acct2=np.zeros(len(o), bool),
        focus=_focus(rng, t[o], len(o)),
    )


def _signup_sessions(rng: np.random.Generator, pp: People, dev: Devices) -> Sessions:
    """The signup session: logged in on the first device, which links that device to the customer."""
    n = len(pp)
    return Sessions(
        owner=np.arange(n),
        device=dev.first,
        anchor=pp.signup,
        kind=np.full(n, BROWSE, np.int8),
        logged_in=np.ones(n, bool),
        acct2=np.zeros(n, bool),
        focus=_focus(rng, pp.type, n),
    )


def _browsing_sessions(rng: np.random.Generator, pp: People, dev: Devices, win: Window) -> Sessions:
    """Browsing while alive: browsing stops at death."""
    t = pp.type
    alive_to = np.minimum(pp.death, win.end)
    span = np.maximum(0, alive_to - pp.signup)
    cnt = rng.poisson(pp.web_rate * span / P.DAY)
    o = owner_index(cnt)
    anchor = pp.signup[o] + (rng.random(len(o)) * span[o]).astype(np.int64)
    device = pick_device(rng, dev, o)
    logged = logged_in_draw(rng, dev.platform[device])
    acct2 = logged & pp.rereg[o] & (anchor >= pp.rereg_at[o]) & (rng.random(len(o)) < 0.5)
    return Sessions(
        owner=o,
        device=device,
        anchor=anchor,
        kind=browse_kind(rng, type_param(t[o], "abandon_share")),
        logged_in=logged,
        acct2=acct2,
        focus=_focus(rng, t[o], len(o)),
    )


def _purchase_sessions(rng: np.random.Generator, orders: Orders, dev: Devices) -> tuple[Sessions, np.ndarray]:
    """One purchase session per online order, ending with the purchase event at order time; and
    the channel code of every order (store orders are 2)."""
    online = np.flatnonzero(~orders.store)
    o = orders.owner[online]
    device = pick_device(rng, dev, o)
    sessions = Sessions(
        owner=o,
        device=device,
        anchor=orders.ts[online],
        kind=np.full(len(o), PURCHASE, np.int8),
        logged_in=np.ones(len(o), bool),
        acct2=orders.acct2[online],
        focus=orders.baskets.first_product[online],
    )
    channel = np.full(len(orders), 2, dtype=np.int8)
    channel[online] = dev.platform[device]
    return sessions, channel


def _anonymous_sessions(rng: np.random.Generator, dev: Devices, win: Window) -> Sessions:
    """Sessions of the visitors who never register."""
    anon_dev = np.flatnonzero(dev.owner < 0)
    cnt = 1 + rng.poisson(P.ANON_SESSIONS_EXTRA, len(anon_dev))
    d = np.repeat(anon_dev, cnt)
    u = rng.random(len(d))
    return Sessions(
        owner=np.full(len(d), -1),
        device=d,
        anchor=win.start + (u * (win.end - win.start)).astype(np.int64),
        kind=browse_kind(rng, np.full(len(d), 0.15)),
        logged_in=np.zeros(len(d), bool),
        acct2=np.zeros(len(d), bool),
        focus=_focus(rng, None, len(d)),
    )


@dataclass
class Events:
    """Web events, session after session."""

    session: np.ndarray  # index into Sessions
    etype: np.ndarray
    ts: np.ndarray
    product: np.ndarray  # -1 = none
    url: np.ndarray


def _templates() -> np.ndarray:
    """Event-type template per session shape (kind, head, mid, tail) and position; -1 = random mid event."""
    tpl = np.full((4, 2, 6, 4, _MAX_EVENTS), -2, dtype=np.int8)
    for kind in range(4):
        for head in (1, 2):
            for mid in range(6):
                for tail in range(4):
                    seq = [PV] + [LOGIN] * (head - 1) + [-1] * mid + [int(x) for x in _TAIL[kind][:tail]]
                    seq = seq[:_MAX_EVENTS]
                    tpl[kind, head - 1, mid, tail, : len(seq)] = seq
    return tpl.reshape(-1, _MAX_EVENTS)


_TEMPLATES = _templates()
# URL of each event type: base index, plus the category (page_view, search) or product (product_view).
_URL_BASE = np.array(
    [URL_CAT, URL_PRODUCT, URL_CART, URL_CHECKOUT, URL_CONFIRM, URL_LOGIN, URL_SEARCH], np.int32
)


def draw_events(rng: np.random.Generator, s: Sessions, platform: np.ndarray, end: int) -> Events:
    """Expand sessions into 1-8 events: page_view [login] middle [add_to_cart [checkout [purchase]]]."""
    kind = s.kind.astype(np.int64)
    ns = len(s)
    head = 1 + (s.logged_in & (platform == WEB) & (kind != BOUNCE) & (rng.random(ns) < 0.6))
    tail = np.select([kind == ABANDON, kind == PURCHASE], [1 + (rng.random(ns) < 0.3), 3], 0)
    mid = np.select(
        [kind == BROWSE, kind == ABANDON, kind == PURCHASE],
        [1 + rng.binomial(4, 0.4, ns), rng.binomial(3, 0.5, ns), rng.binomial(2, 0.3, ns)],
        0,
    )
    mid = np.minimum(mid, _MAX_EVENTS - head - tail)
    n = head + mid + tail
    shape = ((kind * 2 + head - 1) * 6 + mid) * 4 + tail

    sess = owner_index(n)
    pos = rank_in_group(n)
    etype = _TEMPLATES[shape[sess], pos]
    rand = np.flatnonzero(etype == -1)
    shopping = kind[sess[rand]] >= ABANDON
    u = rng.random(len(rand))
    etype[rand] = np.where(
        u < np.where(shopping, 0.8, 0.6), PROD, np.where(u < np.where(shopping, 0.9, 0.8), SEARCH, PV)
    )

    gaps = (2 + rng.exponential(40.0, len(sess))).astype(np.int64)
    gaps[pos == 0] = 0
    offs = grouped_cumsum(gaps, n)
    dur = offs[group_offsets(n) + n - 1]
    start = np.where(kind == PURCHASE, s.anchor - dur, np.minimum(s.anchor, end - dur))
    ts = start[sess] + offs

    focus = s.focus[sess]
    cat = (focus // P.PRODUCTS_PER_CATEGORY).astype(np.int32)
    product = np.full(len(sess), -1, dtype=np.int64)
    atc = etype == ATC
    product[atc] = focus[atc]
    pv = np.flatnonzero(etype == PROD)
    same = rng.random(len(pv)) < 0.3
    product[pv] = np.where(same, focus[pv], draw_products(rng, cat[pv].astype(np.int64)))
    url = _URL_BASE[etype]
    url[pv] += product[pv].astype(np.int32)
    cat_url = (etype == PV) | (etype == SEARCH)
    url[cat_url] += cat[cat_url]
    home = np.flatnonzero(pos == 0)
    home = home[rng.random(len(home)) < 0.5]
    url[home] = URL_HOME
    return Events(session=sess, etype=etype, ts=ts, product=product, url=url)


def dictionary(
    codes: np.ndarray, values: tuple[str, ...] | pa.Array, null_mask: np.ndarray | None = None
) -> pa.Array:
    """Dictionary-encoded text column: cheap to build; the writer thread decodes it to plain text."""
    idx = pa.array(np.asarray(codes, dtype=np.int32), mask=null_mask)
    if not isinstance(values, pa.Array):
        values = pa.array(values, pa.string())
    return pa.DictionaryArray.from_arrays(idx, values)
