"""The published build the API answers from: one snapshot of the read-only BI file at a time.

The BI file (`warehouse/audience_bi.duckdb`) is replaced by an atomic rename at each publish
(audience/bi_publish.py). A snapshot copies the tables the API reads from one open of that file
into an in-memory DuckDB database, with ART indexes on the lookup keys, and records the
publish id. Every request takes the current snapshot once and runs all its queries on it, so
one answer always comes from one build.

Before each request the reader compares the file's inode, size and modification time with the
snapshot's (one `stat`, no open). When they differ it loads the new file in a background thread
and keeps answering from the previous snapshot until the new one is complete; requests that
started on the previous snapshot finish on it. The first load happens in the request that needs
it. A file that cannot be loaded (not a BI file, a table missing) leaves the current snapshot in
place; /health reports the error until a later publish loads.

After loading, the in-memory database gets `enable_external_access = false` and a locked
configuration, so no query on it can read a file, whatever its text.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

# what a snapshot copies from the BI file: (table in the snapshot, select on the attached file `bi`)
SNAPSHOT_TABLES: dict[str, str] = {
    "customer_ids": "select customer_id, person_id from bi.customer_ids",
    # one row per person: profile, scores and customer_ids, so a lookup reads one indexed row
    "people": """
        select p.person_id, p.primary_customer_id, ids.customer_ids, p.email, p.first_name,
            p.country_code, p.region, p.income_band, p.signup_at, p.order_count, p.total_revenue,
            p.avg_order_value, p.first_order_at, p.last_order_at, p.recency_days, p.tenure_days,
            p.rfm_score, p.rfm_segment, p.has_email_consent, p.has_sms_consent, p.has_ads_consent,
            p.has_marketing_consent, p.has_crm_record, p.as_of_date,
            s.person_id is not null as is_scored, s.clv, s.churn_probability, s.p_alive,
            s.expected_purchases, s.expected_avg_order_value, s.clv_decile, s.churn_decile
        from bi.customer_profiles as p
        left join bi.customer_scores as s using (person_id)
        left join (
            select person_id, list(customer_id order by customer_id) as customer_ids
            from bi.customer_ids group by person_id
        ) as ids using (person_id)
    """,
    # the CRM key of each member is joined once here, not per page
    "membership": """
        select m.person_id, p.primary_customer_id, m.segment_type, m.segment_name, m.reason,
            m.assigned_at
        from bi.segment_membership as m
        left join bi.customer_profiles as p using (person_id)
        order by m.segment_type, m.segment_name, m.person_id
    """,
    "transitions": """
        select t.transition_id, t.person_id, p.primary_customer_id, t.segment_type,
            t.segment_name, t.transition, t.transition_at, t.is_initial_load, t.reason
        from bi.segment_transitions as t
        left join bi.customer_profiles as p using (person_id)
        order by t.segment_type, t.segment_name, t.transition_at, t.transition_id
    """,
    "definitions": """
        select d.segment_type, d.segment_name, d.description, d.definition,
            coalesce(sizes.size, 0) as size
        from bi.segment_definitions as d
        left join (
            select segment_type, segment_name, count(*) as size
            from bi.segment_membership group by all
        ) as sizes using (segment_type, segment_name)
        order by d.segment_type, d.segment_name
    """,
    "model_versions": """
        select model_name, model_version, trained_at, as_of_date
        from bi.model_runs
        qualify row_number() over (partition by model_name order by trained_at desc, model_version) = 1
        order by model_name
    """,
    "publish": """
        select distinct publish_id, build_started_at, published_at
        from bi.bi_publish
    """,
}
INDEXES = (
    "create unique index customer_ids_key on customer_ids (customer_id)",
    "create unique index people_key on people (person_id)",
    "create index membership_person on membership (person_id)",
)


class NotPublished(Exception):
    """No BI file has been loaded (none published yet, or it could not be read)."""


@dataclass
class Snapshot:
    path: Path
    stamp: tuple
    con: duckdb.DuckDBPyConnection
    publish_id: str
    build_started_at: datetime | None
    published_at: datetime | None
    file_mtime: float
    as_of_date: date | None
    loaded_in_s: float
    segments: list[dict] = field(default_factory=list)  # the small tables, read once per snapshot
    model_versions: list[dict] = field(default_factory=list)
    segment_keys: set[tuple[str, str]] = field(default_factory=set)
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's connection to the snapshot (DuckDB connections are not shared by threads)."""
        cur = getattr(self._local, "cur", None)
        if cur is None:
            cur = self._local.cur = self.con.cursor()
        return cur

    def rows(self, sql: str, params: list | tuple = ()) -> list[dict]:
        cur = self.cursor()
        cur.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _stamp(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns)


def load_snapshot(path: Path, stamp: tuple, threads: int = 2) -> Snapshot:
    """Copy the API's tables from the BI file at `path` into a new in-memory database."""
    start = time.perf_counter()
    con = duckdb.connect(":memory:", config={"threads": threads})
    try:
        # ATTACH takes no parameters; the path is the server's configuration, not request text
        quoted = str(path).replace("'", "''")
        con.execute(f"attach '{quoted}' as bi (read_only)")
        missing = [
            t
            for t in (
                "customer_ids",
                "customer_profiles",
                "customer_scores",
                "segment_membership",
                "segment_transitions",
                "segment_definitions",
                "model_runs",
                "bi_publish",
            )
            if not con.execute(
                "select count(*) from duckdb_tables() where database_name = 'bi' and table_name = ?", [t]
            ).fetchone()[0]
        ]
        if missing:
            raise ValueError(f"{path} is not a BI file of this version: no table {', '.join(missing)}")
        con.execute("begin transaction")
        for table, select in SNAPSHOT_TABLES.items():
            con.execute(f"create table {table} as {select}")
        for statement in INDEXES:
            con.execute(statement)
        con.execute("commit")
        publishes = con.execute("select publish_id, build_started_at, published_at from publish").fetchall()
        if len(publishes) != 1:
            raise ValueError(f"{path}: bi_publish holds {len(publishes)} publish ids, expected one")
        as_of = con.execute("select max(as_of_date) from people").fetchone()[0]
        con.execute("detach bi")
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
    except Exception:
        con.close()
        raise
    publish_id, build_started_at, published_at = publishes[0]
    snap = Snapshot(
        path=path,
        stamp=stamp,
        con=con,
        publish_id=publish_id,
        build_started_at=build_started_at,
        published_at=published_at,
        file_mtime=stamp[3] / 1e9,
        as_of_date=as_of,
        loaded_in_s=0.0,
    )
    snap.segments = snap.rows("select * from definitions order by segment_type, segment_name")
    snap.model_versions = snap.rows("select model_name, model_version, trained_at from model_versions")
    snap.segment_keys = {(s["segment_type"], s["segment_name"]) for s in snap.segments}
    snap.loaded_in_s = time.perf_counter() - start
    return snap


class BiReader:
    """Hands out the current snapshot and loads a new one when the BI file is replaced."""

    def __init__(self, path: str | os.PathLike, threads: int = 2):
        self.path = Path(path)
        self.threads = threads
        self._snap: Snapshot | None = None
        self._lock = threading.Lock()  # one load at a time
        self._state = threading.Lock()  # guards the check-and-set of _loading
        self._loading = False
        self._failed_stamp: tuple | None = None
        self.last_error: str | None = None

    def _load(self, stamp: tuple) -> None:
        try:
            snap = load_snapshot(self.path, stamp, self.threads)
        except (duckdb.Error, ValueError, OSError) as exc:
            self._failed_stamp = stamp
            self.last_error = f"{type(exc).__name__}: {exc}"
        else:
            self._snap = snap
            self.last_error = None
        finally:
            self._loading = False

    def _background(self, stamp: tuple) -> None:
        with self._lock:
            self._load(stamp)

    def current(self) -> Snapshot:
        stamp = _stamp(self.path)
        snap = self._snap
        if stamp is not None and stamp != self._failed_stamp and (snap is None or stamp != snap.stamp):
            if snap is None:
                with self._lock:  # first load: the request waits for it
                    if self._snap is None or self._snap.stamp != stamp:
                        self._loading = True
                        self._load(stamp)
                snap = self._snap
            else:
                with self._state:
                    start = not self._loading
                    self._loading = True
                if start:
                    threading.Thread(target=self._background, args=(stamp,), daemon=True).start()
        if snap is None:
            raise NotPublished(
                self.last_error or f"no BI file at {self.path}: run `make build` (a dbt build publishes it)"
            )
        return snap
