"""``generate``: simulate all sources chunk by chunk and stream them to the raw folder."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import params as P
from ._engage import (
    ConsentLog,
    campaign_schedule,
    consent_table,
    draw_consent_and_email,
    email_table,
    survey_table,
)
from ._io import Sink
from ._mess import DefectLog, empty_defects, mess_customers, mess_events, mess_orders
from ._orders import Orders, draw_orders
from ._people import Ids, People, Window, clean_emails, customers_columns, draw_people
from ._shapes import SOURCES, Shape, currency_codes, reversals
from ._tables import items_table, orders_table, truth_customers, truth_devices, web_table
from ._util import (
    hex_ids,
    ts_text,
)
from ._web import (
    draw_devices,
    draw_events,
    draw_sessions,
)

GENERATOR_VERSION = 1
CHUNK_SIZE = 50_000  # customers per chunk: fixed, so output never depends on memory settings
STEMS = SOURCES  # the files generate() writes, in order: every source a Shape may hold
TRUTH = "_truth"
BATCH_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}\.csv$")


@dataclass
class Counters:
    """Next sequence numbers of generated keys (kept in meta.json for ``append_day``)."""

    order: int = 1
    event: int = 1
    session: int = 1
    device: int = 0
    email: int = 1
    consent: int = 1
    response: int = 1
    ghost: int = 0


def hex_salt(seed: int) -> int:
    """Seed-dependent salt of the anonymous ids."""
    return int(np.random.SeedSequence(seed).generate_state(1, np.uint64)[0])


class _TruthWriters:
    """Parquet writers of the truth tables (small; written from the main thread)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.writers: dict[str, pq.ParquetWriter] = {}

    def write(self, name: str, table: pa.Table) -> None:
        if name not in self.writers:
            self.writers[name] = pq.ParquetWriter(
                self.folder / f"{name}.parquet", table.schema, compression="zstd"
            )
        self.writers[name].write_table(table.cast(self.writers[name].schema))

    def close(self) -> None:
        for w in self.writers.values():
            w.close()


def clear_outputs(out: Path) -> None:
    """Remove files of a previous run so that stale sources are never unioned with new ones."""
    for stem in STEMS:
        for suffix in (".csv", ".csv.gz", ".parquet"):
            (out / f"{stem}{suffix}").unlink(missing_ok=True)
        batch = out / stem
        if batch.is_dir():
            for f in batch.iterdir():
                if BATCH_FILE.match(f.name):
                    f.unlink()
    for name in (
        "customers.parquet",
        "anonymous_ids.parquet",
        "defects.parquet",
        "reversals.parquet",
        "meta.json",
    ):
        (out / TRUTH / name).unlink(missing_ok=True)


@dataclass
class _Run:
    """State shared by the chunks of one ``generate`` call."""

    seed: int
    mess_rate: float
    win: Window
    ids: Ids
    sink: Sink
    truth: _TruthWriters
    shape: Shape = field(default_factory=Shape)
    campaigns: np.ndarray = field(init=False)
    campaign_names: list[str] = field(init=False)
    salt: int = field(init=False)
    cnt: Counters = field(default_factory=Counters)
    n_defects: int = 0

    def __post_init__(self) -> None:
        self.campaigns, self.campaign_names = campaign_schedule(self.win)
        self.salt = hex_salt(self.seed)

    def chunk(self, c: int, lo: int, hi: int) -> None:
        """Simulate customers lo..hi-1 (chunk c) and queue every table of theirs for writing."""
        # one independent stream per component, so mess_rate never changes the simulated behaviour
        # (the first nine streams do not depend on how many are spawned; shapes use the last three)
        streams = np.random.SeedSequence([self.seed, c]).spawn(12)
        r_people, r_orders, r_web, r_engage, r_survey, m_cust, m_orders, m_web, m_email = (
            np.random.default_rng(s) for s in streams[:9]
        )
        s_once, s_currency, s_cancel = (np.random.default_rng(s) for s in streams[9:])
        n = hi - lo
        pp = draw_people(r_people, np.arange(lo, hi), self.win, self.mess_rate)
        orders = draw_orders(r_orders, pp, self.win, self.shape.one_time_share, s_once)
        dev = draw_devices(r_web, pp, int(r_web.poisson(P.ANON_VISITORS_PER_CUSTOMER * n)))
        sessions, channel = draw_sessions(r_web, pp, orders, dev, self.win)
        events = draw_events(r_web, sessions, dev.platform[sessions.device], self.win.end)
        consent_log, email_ev = draw_consent_and_email(r_engage, pp, self.win, self.campaigns)

        emails = clean_emails(pp)
        acct_ids = pa.concat_arrays([self.ids.primary(pp.idx), self.ids.second(pp.idx)])
        dev_ids = hex_ids(self.cnt.device + np.arange(len(dev)), self.salt)
        logs: list[tuple[DefectLog, int]] = []

        table, log = mess_customers(
            m_cust, customers_columns(pp, self.ids, emails), pp, self.ids, emails, self.win, self.mess_rate
        )
        self._write(logs, "customers", table, log)
        table, log, items = self._order_tables(m_orders, s_currency, s_cancel, orders, channel, acct_ids, n)
        self._write(logs, "orders", table, log)
        self._write(logs, "order_items", items)

        web = web_table(sessions, events, dev, dev_ids, acct_ids, n, self.cnt.session, self.cnt.event)
        self.cnt.session += len(sessions)
        self.cnt.event += web.num_rows
        table, log = mess_events(m_web, web, "web_events", "event_id", "event_at", self.win, self.mess_rate)
        self._write(logs, "web_events", table, log)
        del web, table, events

        self._write_engagement(logs, m_email, r_survey, pp, email_ev, consent_log, acct_ids, emails, n)
        self.truth.write("customers", truth_customers(pp, orders, self.ids, emails))
        self.truth.write("anonymous_ids", truth_devices(pp, dev, dev_ids, self.ids))
        self.cnt.device += len(dev)
        self._write_defects(logs)

    def _write(
        self, logs: list[tuple[DefectLog, int]], stem: str, table: pa.Table, log: DefectLog | None = None
    ) -> None:
        """Write a source the shape includes (its defect log goes to ``logs``); drop the others."""
        shape = self.shape
        if stem in shape.sources:
            if shape.drop_columns:
                table = table.drop_columns(shape.droppable(stem, shape.drop_columns))
            offset = self.sink.write(stem, table)
            if log is not None:
                logs.append((log, offset))

    def _order_tables(
        self,
        m_orders: np.random.Generator,
        s_currency: np.random.Generator,
        s_cancel: np.random.Generator,
        orders: Orders,
        channel: np.ndarray,
        acct_ids: pa.Array,
        n: int,
    ) -> tuple[pa.Table, DefectLog, pa.Table]:
        """The chunk's orders (messed, with ghost orders and the shape's reversals), their defect
        log and their order items; advances the order counters."""
        shape = self.shape
        currency = None
        if shape.currency != "EUR" or shape.mixed_currency_share > 0:
            currency = currency_codes(s_currency, shape, len(orders))
        otab = orders_table(
            orders, channel, acct_ids, n, self.cnt.order, currency, all_completed=shape.cancel_rate > 0
        )
        items = items_table(orders, otab.column("order_id").combine_chunks())
        first_ghost = self.cnt.order + len(orders)
        table, log, n_ghost = mess_orders(
            m_orders,
            otab,
            orders.ts,
            orders.baskets.total,
            self.ids,
            self.cnt.ghost,
            first_ghost,
            self.mess_rate,
        )
        self.cnt.order += len(orders) + n_ghost
        self.cnt.ghost += n_ghost
        if shape.cancel_rate > 0:
            rev = reversals(
                s_cancel,
                otab,
                items,
                orders.ts,
                orders.baskets.total,
                orders.baskets.n_lines,
                self.win.end,
                shape.cancel_rate,
                self.cnt.order,
            )
            self.cnt.order += rev.orders.num_rows
            table = pa.concat_tables([table, rev.orders.cast(table.schema)])
            items = pa.concat_tables([items, rev.items.cast(items.schema)])
            self.truth.write("reversals", rev.truth)
        return table, log, items

    def _write_engagement(
        self,
        logs: list[tuple[DefectLog, int]],
        m_email: np.random.Generator,
        r_survey: np.random.Generator,
        pp: People,
        email_ev: dict[str, np.ndarray],
        consent_log: ConsentLog,
        acct_ids: pa.Array,
        emails: pa.Array,
        n: int,
    ) -> None:
        """Write the chunk's email events (messed), survey responses and consent events."""
        etab = email_table(email_ev, acct_ids, emails, self.campaign_names, self.cnt.email)
        self.cnt.email += etab.num_rows
        table, log = mess_events(
            m_email, etab, "email_events", "email_event_id", None, self.win, self.mess_rate
        )
        self._write(logs, "email_events", table, log)

        stab = survey_table(r_survey, pp, self.win, acct_ids, emails, self.cnt.response)
        self.cnt.response += stab.num_rows
        self._write(logs, "survey_responses", stab)
        ctab = consent_table(consent_log, acct_ids, n, self.cnt.consent)
        self.cnt.consent += ctab.num_rows
        self._write(logs, "consent_events", ctab)

    def _write_defects(self, logs: list[tuple[DefectLog, int]]) -> None:
        """Record the defects of the written files in the truth, at their row offsets."""
        shape = self.shape
        for log, offset in logs:
            d = log.table(offset)
            dropped = shape.droppable(log.source, shape.drop_columns)
            if dropped and d.num_rows:
                # a defect in a column the file does not have is no defect of the file
                d = d.filter(pc.invert(pc.fill_null(pc.is_in(d.column("column"), pa.array(dropped)), False)))
            self.n_defects += d.num_rows
            self.truth.write("defects", d)


def _check_arguments(n_customers: int, seed: int, mess_rate: float, fmt: str, years: float) -> None:
    """Stop with a message naming the first argument of ``generate`` that is out of range."""
    if n_customers < 1:
        raise ValueError("n_customers must be >= 1")
    if fmt not in ("csv", "parquet"):
        raise ValueError("fmt must be 'csv' or 'parquet'")
    if not 0.0 <= mess_rate <= 1.0:
        raise ValueError("mess_rate must be within [0, 1]")
    if years <= 0:
        raise ValueError("years must be > 0")
    if seed < 0:
        raise ValueError("seed must be >= 0")


def generate(
    n_customers: int,
    seed: int = 42,
    out_dir: str | Path = "data/raw",
    *,
    mess_rate: float = 0.02,
    fmt: str = "csv",
    end_date: str = "2025-12-31",
    years: float = 2.0,
    shape: Shape | None = None,
    progress: Callable[[int, int, dict[str, int]], None] | None = None,
    chunk_size: int | None = None,
) -> dict[str, int]:
    """Write all raw files + truth into out_dir; return {file_stem: row_count} of the files written.

    ``shape`` (default: every source, EUR, no forced one-time buyers, no reversal rows) makes the
    export look like a real one: see ``Shape``.

    `progress(customers_done, n_customers, rows_so_far)` is called after each chunk of
    `chunk_size` customers (default :data:`CHUNK_SIZE`; rows per file stem queued for writing so
    far), e.g. to print progress.
    """
    _check_arguments(n_customers, seed, mess_rate, fmt, years)
    chunk_size = CHUNK_SIZE if chunk_size is None else chunk_size
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    shape = shape or Shape()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    clear_outputs(out)
    (out / TRUTH).mkdir(exist_ok=True)

    run = _Run(
        seed,
        mess_rate,
        Window.build(end_date, years),
        Ids.build(n_customers),
        Sink(out, fmt),
        _TruthWriters(out / TRUTH),
        shape,
    )
    try:
        for c, lo in enumerate(range(0, n_customers, chunk_size)):
            run.chunk(c, lo, min(n_customers, lo + chunk_size))
            if progress is not None:
                progress(min(n_customers, lo + chunk_size), n_customers, dict(run.sink.rows))
        if "defects" not in run.truth.writers:
            run.truth.write("defects", empty_defects())
    finally:
        run.truth.close()
        rows = run.sink.close()

    counts = {stem: rows.get(stem, 0) for stem in STEMS if stem in shape.sources}
    meta = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "n_customers": n_customers,
        "mess_rate": mess_rate,
        "fmt": fmt,
        "end_date": end_date,
        "years": years,
        "window_start": ts_text([run.win.start])[0].as_py(),
        "window_end": ts_text([run.win.end])[0].as_py(),
        "last_event_date": end_date,
        "chunk_size": chunk_size,
        "latent_types": {t.name: t.share for t in P.TYPES},
        "row_counts": counts,
        "n_defects": run.n_defects,
        "counters": asdict(run.cnt),
        "hex_salt": run.salt,
        "id_width": run.ids.width,
        "appended_dates": [],
    }
    if shape != Shape():
        meta["shape"] = shape.to_meta()
    (out / TRUTH / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return counts
