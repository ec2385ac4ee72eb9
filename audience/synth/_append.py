"""``append_day``: one more day of web activity and orders as dated micro-batch files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import params as P
from ._generate import TRUTH, Counters
from ._io import write_csv
from ._orders import CATEGORY_P, Baskets, Orders, draw_baskets, draw_by_type, draw_products
from ._people import Window
from ._shapes import Shape
from ._tables import items_table, orders_table, web_table
from ._util import group_offsets
from ._web import (
    ABANDON,
    BROWSE,
    PURCHASE,
    Devices,
    Sessions,
    browse_kind,
    draw_events,
    logged_in_draw,
    pick_device,
)

_TRUTH_COLS = [
    "customer_id",
    "person_id",
    "latent_type",
    "is_primary",
    "is_alive_at_end",
    "lambda",
    "p_dropout",
    "aov_mean",
    "discount_prob",
    "discount_frac",
    "web_sessions_per_day",
    "n_orders",
]


def _load_state(out: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    meta = json.loads((out / TRUTH / "meta.json").read_text())
    cust = pq.read_table(out / TRUTH / "customers.parquet", columns=_TRUTH_COLS).to_pandas()
    dead = set(meta.get("appended_dropouts", []))
    cust = cust[cust["is_primary"] & cust["is_alive_at_end"] & ~cust["customer_id"].isin(dead)]
    devices = pq.read_table(out / TRUTH / "anonymous_ids.parquet").to_pandas()
    return meta, cust.reset_index(drop=True), devices


def append_day(out_dir: str | Path, seed: int = 0, *, n_active: int | None = None) -> dict[str, int]:
    """Append the next day of activity as micro-batch files; return {file_stem: row_count}.

    The new day is the day after ``last_event_date`` in ``_truth/meta.json``. A random subset of the
    customers alive at the end (each with probability from its browse + purchase rates, or exactly
    ``n_active`` of them drawn by those rates) buys, abandons a cart or browses; a few anonymous
    visitors browse too. Writes clean ``web_events/<YYYY-MM-DD>.csv``, ``orders/<YYYY-MM-DD>.csv`` and
    ``order_items/<YYYY-MM-DD>.csv``, then advances the key counters and ``last_event_date`` in
    meta.json. The same folder state and seed give byte-identical files.
    """
    out = Path(out_dir)
    meta, cust, devices = _load_state(out)
    day = dt.date.fromisoformat(meta["last_event_date"]) + dt.timedelta(days=1)
    win = Window.build(day.isoformat(), 1.0 / 365.25)  # the single new day
    rng = np.random.default_rng(np.random.SeedSequence([int(meta["seed"]), int(seed), day.toordinal()]))
    cnt = Counters(**meta["counters"])

    types = cust["latent_type"].map({t: i for i, t in enumerate(P.LATENT_TYPES)}).to_numpy(np.int8)
    active, kind = _draw_active(rng, cust, types, n_active)
    a = len(active)
    dev, dev_ids, n_anon = _day_devices(rng, devices, cust, active)
    day_sessions = _draw_day_sessions(rng, win, cust, types, active, kind, dev, n_anon)
    sessions, anchor, device, buyers, baskets = day_sessions
    events = draw_events(rng, sessions, dev.platform[sessions.device], win.end)

    # orders in the order of their purchase sessions
    orders = Orders(
        owner=buyers,
        ts=anchor[buyers],
        acct2=np.zeros(len(buyers), bool),
        store=np.zeros(len(buyers), bool),
        baskets=baskets,
    )
    acct_ids = pa.concat_arrays([pa.array(cust["customer_id"].to_numpy(object)[active], pa.string())] * 2)
    channel = dev.platform[device[buyers]]
    # a shaped folder (meta "shape") keeps its sources, columns, currency and statuses
    shape = Shape(**{k: tuple(v) if isinstance(v, list) else v for k, v in (meta.get("shape") or {}).items()})
    otab = orders_table(
        orders,
        channel,
        acct_ids,
        a,
        cnt.order,
        pa.array([shape.currency] * len(buyers), pa.string()),
        all_completed=shape.cancel_rate > 0,
    )
    itab = items_table(orders, otab.column("order_id").combine_chunks())
    wtab = web_table(sessions, events, dev, dev_ids, acct_ids, a, cnt.session, cnt.event)
    by_time = pc.sort_indices(otab, sort_keys=[("ordered_at", "ascending")])
    otab = otab.take(by_time)
    written = _write_day(out, day, shape, (("web_events", wtab), ("orders", otab), ("order_items", itab)))

    # BG/NBD: buyers may drop out after this purchase
    p = cust["p_dropout"].to_numpy(float)[active[buyers]]
    died = cust["customer_id"].to_numpy(object)[active[buyers]][rng.random(len(buyers)) < p]
    cnt.order += otab.num_rows
    cnt.session += len(sessions)
    cnt.event += wtab.num_rows
    _advance_meta(out, meta, cnt, day, died)
    return written


def _draw_active(
    rng: np.random.Generator, cust: pd.DataFrame, types: np.ndarray, n_active: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """The customers active on the day (row positions) and what each session does (kind).

    With at least two active customers, at least one buys and at least one abandons a cart.
    """
    lam = cust["lambda"].to_numpy(float)
    web_rate = cust["web_sessions_per_day"].to_numpy(float)
    rate = lam + web_rate
    n_all = len(cust)
    if n_active is None:
        active = np.flatnonzero(rng.random(n_all) < 1 - np.exp(-rate))
    else:
        k = min(max(int(n_active), 0), n_all)
        active = (
            np.sort(rng.choice(n_all, size=k, replace=False, p=rate / rate.sum())) if k else np.zeros(0, int)
        )
    a = len(active)
    buy = rng.random(a) < lam[active] / rate[active]
    kind = np.where(
        buy, PURCHASE, browse_kind(rng, np.array([P.TYPES[t].abandon_share for t in types[active]]))
    )
    if a >= 2 and not buy.any():
        buy[0], kind[0] = True, PURCHASE
    if a >= 2 and not (kind == ABANDON).any():
        j = np.flatnonzero(~buy)[0]
        kind[j] = ABANDON
    return active, kind.astype(np.int8)


def _day_devices(
    rng: np.random.Generator, devices: pd.DataFrame, cust: pd.DataFrame, active: np.ndarray
) -> tuple[Devices, pa.Array, int]:
    """Devices of the active customers, then those of a few anonymous visitors; their ids and
    the number of anonymous visitors."""
    a = len(active)
    dev_person = devices["person_id"].to_numpy(object)
    codes = pd.Index(cust["person_id"].to_numpy(object)[active]).get_indexer(dev_person)
    mine = np.flatnonzero(codes >= 0)
    mine = mine[np.argsort(codes[mine], kind="stable")]
    anon_all = np.flatnonzero(pd.isna(dev_person))
    n_anon = min(len(anon_all), int(rng.poisson(0.2 * a)))
    anon = np.sort(rng.choice(anon_all, size=n_anon, replace=False)) if n_anon else np.zeros(0, int)
    counts = np.bincount(codes[mine], minlength=a)
    rows = np.concatenate([mine, anon])
    platform = (devices["platform"].to_numpy(object)[rows] == "app").astype(np.int8)
    dev = Devices(
        owner=np.concatenate([codes[mine], np.full(n_anon, -1)]),
        platform=platform,
        first=group_offsets(counts),
        count=counts,
    )
    dev_ids = pa.array(devices["anonymous_id"].to_numpy(object)[rows], pa.string())
    return dev, dev_ids, n_anon


def _draw_day_sessions(
    rng: np.random.Generator,
    win: Window,
    cust: pd.DataFrame,
    types: np.ndarray,
    active: np.ndarray,
    kind: np.ndarray,
    dev: Devices,
    n_anon: int,
) -> tuple[Sessions, np.ndarray, np.ndarray, np.ndarray, Baskets]:
    """One session per active customer, then one per anonymous visitor.

    Returns the sessions, the start (purchase time) and device of each customer session, the
    positions of the buyers among the active customers and the buyers' baskets.
    """
    a = len(active)
    owner = np.arange(a)
    anchor = win.start + ((6 + 17.5 * rng.random(a)) * 3600).astype(np.int64)
    device = pick_device(rng, dev, owner)
    logged = np.where(kind == PURCHASE, True, logged_in_draw(rng, dev.platform[device]))
    buyers = np.flatnonzero(kind == PURCHASE)
    t_buy = types[active[buyers]]
    baskets = draw_baskets(
        rng,
        t_buy,
        cust["aov_mean"].to_numpy(float)[active[buyers]],
        cust["discount_prob"].to_numpy(float)[active[buyers]],
        cust["discount_frac"].to_numpy(float)[active[buyers]],
        (cust["n_orders"].to_numpy()[active[buyers]] == 0) & (t_buy == P.NEW_VISITOR),
    )
    focus = draw_products(rng, draw_by_type(rng, types[active], CATEGORY_P))
    focus[buyers] = baskets.first_product
    anon_dev = np.flatnonzero(dev.owner < 0)
    anon_anchor = win.start + (rng.random(n_anon) * (win.end - win.start - 3600)).astype(np.int64)
    sessions = Sessions.concat(
        [
            Sessions(
                owner=owner,
                device=device,
                anchor=anchor,
                kind=kind,
                logged_in=logged,
                acct2=np.zeros(a, bool),
                focus=focus,
            ),
            Sessions(
                owner=np.full(n_anon, -1),
                device=anon_dev,
                anchor=anon_anchor,
                kind=np.where(rng.random(n_anon) < 0.5, BROWSE, ABANDON).astype(np.int8),
                logged_in=np.zeros(n_anon, bool),
                acct2=np.zeros(n_anon, bool),
                focus=draw_products(rng, rng.integers(0, len(P.CATEGORIES), n_anon)),
            ),
        ]
    )
    return sessions, anchor, device, buyers, baskets


def _write_day(out: Path, day: dt.date, shape: Shape, tables) -> dict[str, int]:
    """Write each ``(stem, table)`` of the shape's sources as ``<stem>/<day>.csv``; rows per stem."""
    name = f"{day.isoformat()}.csv"
    written = {}
    for stem, table in tables:
        if stem not in shape.sources:
            continue
        table = table.drop_columns(shape.droppable(stem, shape.drop_columns))
        written[stem] = table.num_rows
        (out / stem).mkdir(exist_ok=True)
        write_csv(table, out / stem / name, stem)
    return written


def _advance_meta(out: Path, meta: dict, cnt: Counters, day: dt.date, died: np.ndarray) -> None:
    """Record the new counters, the appended day and the customers who dropped out in meta.json."""
    meta["counters"] = vars(cnt)
    meta["last_event_date"] = day.isoformat()
    meta["appended_dates"] = meta.get("appended_dates", []) + [day.isoformat()]
    meta["appended_dropouts"] = meta.get("appended_dropouts", []) + sorted(str(c) for c in died)
    # a new file renamed over the old one, not a rewrite in place: a copy of the raw folder made
    # with hard links (`cp -al`) must not change the meta.json of the folder it was copied from
    meta_path = out / TRUTH / "meta.json"
    new_meta = meta_path.with_name("meta.json.tmp")
    new_meta.write_text(json.dumps(meta, indent=2) + "\n")
    new_meta.replace(meta_path)
