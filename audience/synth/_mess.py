"""Defects real exports have, injected at ``mess_rate`` and logged row by row in the truth.

Every row gets at most one row-level defect, drawn per table from that table's list of defect kinds
(each kind with probability ``mess_rate``; the sum is capped at 90%). Older versions of customer
records follow the current version; exact duplicates, second registrations and orphan orders are
appended at the end of each chunk of 50,000 customers. ``row`` in the log is the 0-based position
inside the chunk; the writer turns it into the 1-based data row of the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import params as P
from ._people import Ids, People, Window, other_city, phones
from ._util import cents_to_decimal, group_offsets, prefixed_ids, set_where, take_text, ts_array, ts_text

FUTURE_START = 3_786_912_000  # 2090-01-01 00:00:00 UTC, epoch seconds

DATE_FORMATS = ("%Y/%m/%d", "%d.%m.%Y", "%m/%d/%Y", "%d-%b-%Y")
TIMESTAMP_FORMATS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d", "epoch") + DATE_FORMATS


@dataclass
class DefectLog:
    """Defects of one chunk and table: parallel lists, turned into an Arrow table at write time."""

    source: str
    keys: list[pa.Array] = field(default_factory=list)
    rows: list[np.ndarray] = field(default_factory=list)
    columns: list[list[str | None]] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    def add(
        self, defect: str, keys: pa.Array, rows: np.ndarray, columns: list[str | None] | str | None = None
    ) -> None:
        """Log one defect kind for the given keys and 0-based chunk rows."""
        if len(rows) == 0:
            return
        cols = columns if isinstance(columns, list) else [columns] * len(rows)
        self.keys.append(keys.cast(pa.string()))
        self.rows.append(np.asarray(rows, dtype=np.int64))
        self.columns.append(cols)
        self.defects.append(defect)

    def table(self, row_offset: int) -> pa.Table:
        """Arrow table with 1-based file row numbers."""
        if not self.rows:
            return empty_defects()
        return pa.table(
            {
                "source": pa.array([self.source] * sum(len(r) for r in self.rows), pa.string()),
                "key": pa.concat_arrays(self.keys),
                "row_number": pa.array(np.concatenate(self.rows) + row_offset + 1),
                "column": pa.array([c for cols in self.columns for c in cols], pa.string()),
                "defect": pa.array(np.repeat(self.defects, [len(r) for r in self.rows]), pa.string()),
            }
        )


def empty_defects() -> pa.Table:
    """Defect log schema without rows."""
    return pa.table(
        {
            "source": pa.array([], pa.string()),
            "key": pa.array([], pa.string()),
            "row_number": pa.array([], pa.int64()),
            "column": pa.array([], pa.string()),
            "defect": pa.array([], pa.string()),
        }
    )


def pick_kinds(rng: np.random.Generator, n: int, n_kinds: int, rate: float) -> np.ndarray:
    """Defect kind per row (-1 = clean): each kind with probability ``rate``, total capped at 0.9."""
    u = rng.random(n)
    if rate <= 0:
        return np.full(n, -1, dtype=np.int64)
    r = min(rate, 0.9 / n_kinds)
    return np.where(u < r * n_kinds, (u / r).astype(np.int64), -1)


def format_dates(rng: np.random.Generator, seconds: np.ndarray, formats: tuple[str, ...]) -> pa.Array:
    """Dates/timestamps written in randomly chosen alternative formats."""
    code = rng.integers(0, len(formats), len(seconds))
    out = np.empty(len(seconds), dtype=object)
    for i, f in enumerate(formats):
        sel = code == i
        if not sel.any():
            continue
        if f == "epoch":
            out[sel] = seconds[sel].astype(str)
        else:
            out[sel] = pc.strftime(ts_array(seconds[sel]), format=f).to_numpy(zero_copy_only=False)
    return pa.array(out, pa.string())


def unparseable(rng: np.random.Generator, k: int) -> pa.Array:
    """Values that no date parser accepts."""
    return take_text(P.UNPARSEABLE_DATES, rng.integers(0, len(P.UNPARSEABLE_DATES), k))


def noisy_emails(rng: np.random.Generator, emails: pa.Array) -> pa.Array:
    """Case and whitespace noise that always changes the string but not its trimmed lower-case form."""
    k = len(emails)
    variant = rng.integers(0, 4, k)
    upper, cap = pc.utf8_upper(emails), pc.utf8_capitalize(emails)
    sp = pa.scalar(" ")
    out = pc.case_when(
        pc.make_struct(pa.array(variant == 0), pa.array(variant == 1), pa.array(variant == 2)),
        upper,
        pc.binary_join_element_wise(cap, sp, ""),
        pc.binary_join_element_wise(sp, emails, ""),
        pc.binary_join_element_wise(sp, sp, upper, sp, ""),
    )
    return out


def interleave(n: int, parents: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Layout with one extra row right after each parent (parents sorted, unique).

    Returns (source index of each output row, where -1-j marks extra row j; new position of every
    original row; position of every extra row).
    """
    counts = np.ones(n, dtype=np.int64)
    counts[parents] += 1
    pos = group_offsets(counts)
    src = np.repeat(np.arange(n), counts)
    extra_pos = pos[parents] + 1
    src[extra_pos] = -1 - np.arange(len(parents))
    return src, pos, extra_pos


_GENDER_VARIANTS = [P.GENDER_VARIANTS[g][i % len(P.GENDER_VARIANTS[g])] for g in P.GENDERS for i in range(4)]


def _rows_of(kinds: np.ndarray, k: int) -> np.ndarray:
    return np.flatnonzero(kinds == k)


CUSTOMER_KINDS = (
    "email_noise",
    "alt_date_format",
    "unparseable_date",
    "missing_value",
    "alt_value_format",
    "conflicting_duplicate",
)
CUSTOMER_DATE_COLS = ("birth_date", "signup_at", "updated_at")
CUSTOMER_OPTIONAL = (
    "email",
    "first_name",
    "last_name",
    "phone",
    "gender",
    "birth_date",
    "region",
    "city",
    "income_band",
)


def mess_customers(
    rng: np.random.Generator,
    cols: dict[str, pa.Array],
    pp: People,
    ids: Ids,
    emails: pa.Array,
    win: Window,
    rate: float,
) -> tuple[pa.Table, DefectLog]:
    """Customers with noisy values, older conflicting versions and second registrations."""
    n = len(pp)
    log = DefectLog("customers")
    cols = dict(cols)
    kinds = pick_kinds(rng, n, len(CUSTOMER_KINDS), rate)
    kinds[pp.rereg] = -1  # keep re-registered people otherwise clean
    keys = cols["customer_id"]
    notes: list[tuple[str, np.ndarray, list[str | None]]] = []

    rows = _rows_of(kinds, 0)
    cols["email"] = set_where(cols["email"], kinds == 0, noisy_emails(rng, emails.take(pa.array(rows))))
    notes.append(("email_noise", rows, ["email"] * len(rows)))
    notes += _customer_dates(rng, cols, kinds, pp)
    notes += _customer_values(rng, cols, kinds, pp)

    # Older versions of a record: same customer_id, older updated_at, other address/phone/name/email.
    parents = _rows_of(kinds, 5)
    base = pa.table(cols)
    old_cols = _older_versions(rng, base, pp, emails, parents)
    k = len(parents)
    src, pos, extra_pos = interleave(n, parents)
    notes.append(("conflicting_duplicate", parents, [None] * k))

    rr_cols = _second_registrations(rng, base, pp, ids, emails, win)
    r = len(rr_cols["customer_id"])
    take_idx = np.where(src >= 0, src, n - 1 - src)  # extra row j lives at n + j of the concatenation
    full = pa.concat_tables([base, pa.table(old_cols, schema=base.schema)]).take(pa.array(take_idx))
    full = pa.concat_tables([full, pa.table(rr_cols, schema=base.schema)])

    for defect, rows, cl in notes:
        if defect == "conflicting_duplicate":
            log.add(defect, keys.take(pa.array(rows)), extra_pos, cl)
        else:
            log.add(defect, keys.take(pa.array(rows)), pos[rows], cl)
    log.add("duplicate_record", rr_cols["customer_id"], n + k + np.arange(r), "customer_id")
    return full.combine_chunks(), log


def _customer_dates(
    rng: np.random.Generator, cols: dict[str, pa.Array], kinds: np.ndarray, pp: People
) -> list[tuple[str, np.ndarray, list[str | None]]]:
    """Dates in another format (kind 1) or unparseable (kind 2), in place in ``cols``; their notes."""
    n = len(pp)
    notes: list[tuple[str, np.ndarray, list[str | None]]] = []
    seconds = {"birth_date": pp.birth_day * P.DAY, "signup_at": pp.signup, "updated_at": pp.updated}
    for kind, date_kind in ((1, "alt_date_format"), (2, "unparseable_date")):
        rows = _rows_of(kinds, kind)
        which = rng.integers(0, 3, len(rows))
        for j, col in enumerate(CUSTOMER_DATE_COLS):
            sub = rows[which == j]
            mask = np.zeros(n, bool)
            mask[sub] = True
            if kind == 1:
                fmts = DATE_FORMATS if col == "birth_date" else TIMESTAMP_FORMATS
                vals = format_dates(rng, seconds[col][sub], fmts)
            else:
                vals = unparseable(rng, len(sub))
            cols[col] = set_where(cols[col], mask, vals)
            notes.append((date_kind, sub, [col] * len(sub)))
    return notes


def _customer_values(
    rng: np.random.Generator, cols: dict[str, pa.Array], kinds: np.ndarray, pp: People
) -> list[tuple[str, np.ndarray, list[str | None]]]:
    """Missing optional values (kind 3) and gender or country in another spelling (kind 4), in
    place in ``cols``; their notes."""
    n = len(pp)
    notes: list[tuple[str, np.ndarray, list[str | None]]] = []
    rows = _rows_of(kinds, 3)
    which = rng.integers(0, len(CUSTOMER_OPTIONAL), len(rows))
    for j, col in enumerate(CUSTOMER_OPTIONAL):
        mask = np.zeros(n, bool)
        mask[rows[which == j]] = True
        cols[col] = set_where(cols[col], mask)
    notes.append(("missing_value", rows, [CUSTOMER_OPTIONAL[j] for j in which]))

    rows = _rows_of(kinds, 4)
    is_gender = rng.random(len(rows)) < 0.5
    g_rows = rows[is_gender]
    mask = np.zeros(n, bool)
    mask[g_rows] = True
    code = pp.gender[g_rows].astype(np.int64) * 4 + rng.integers(0, 4, len(g_rows))
    cols["gender"] = set_where(cols["gender"], mask, take_text(_GENDER_VARIANTS, code))
    c_rows = rows[~is_gender]
    mask = np.zeros(n, bool)
    mask[c_rows] = True
    cols["country"] = set_where(
        cols["country"], mask, take_text([c[1] for c in P.COUNTRIES], pp.country[c_rows])
    )
    notes.append(("alt_value_format", rows, ["gender" if g else "country" for g in is_gender]))
    return notes


def _older_versions(
    rng: np.random.Generator, base: pa.Table, pp: People, emails: pa.Array, parents: np.ndarray
) -> dict[str, pa.Array]:
    """Older versions of the ``parents`` rows: older updated_at, other address/phone/name/email."""
    old_cols = {c: base.column(c).take(pa.array(parents)).combine_chunks() for c in base.column_names}
    k = len(parents)
    old_cols["updated_at"] = ts_text(pp.signup[parents])
    old_cols["region"], old_cols["city"] = other_city(rng, pp, parents)
    old_cols["phone"] = phones(pp.country[parents], rng.integers(1_000_000, 99_999_999, k))
    new_last = rng.random(k) < 0.3
    old_cols["last_name"] = set_where(
        old_cols["last_name"],
        new_last,
        pc.utf8_capitalize(take_text(P.LAST_NAMES, rng.integers(0, len(P.LAST_NAMES), int(new_last.sum())))),
    )
    new_mail = rng.random(k) < 0.3
    other_domain = take_text(P.EMAIL_DOMAINS, (pp.domain[parents][new_mail] + 1) % len(P.EMAIL_DOMAINS))
    local = pc.extract_regex(emails.take(pa.array(parents[new_mail])), r"(?P<local>[^@]*)@").field("local")
    old_cols["email"] = set_where(
        old_cols["email"], new_mail, pc.binary_join_element_wise(local, pa.scalar("@"), other_domain, "")
    )
    return old_cols


def _second_registrations(
    rng: np.random.Generator, base: pa.Table, pp: People, ids: Ids, emails: pa.Array, win: Window
) -> dict[str, pa.Array]:
    """Second registration of the same person: new customer_id, same e-mail with case/space noise."""
    rr = np.flatnonzero(pp.rereg)
    r = len(rr)
    rr_cols = {c: base.column(c).take(pa.array(rr)).combine_chunks() for c in base.column_names}
    rr_cols["customer_id"] = ids.second(pp.idx[rr])
    rr_cols["email"] = noisy_emails(rng, emails.take(pa.array(rr)))
    rr_cols["phone"] = set_where(
        phones(pp.country[rr], rng.integers(1_000_000, 99_999_999, r)), rng.random(r) < 0.5
    )
    rr_cols["signup_at"] = ts_text(pp.rereg_at[rr])
    rr_cols["updated_at"] = ts_text(
        pp.rereg_at[rr] + (rng.random(r) * (win.end - pp.rereg_at[rr])).astype(np.int64)
    )
    return rr_cols


ORDER_KINDS = (
    "alt_date_format",
    "unparseable_date",
    "negative_amount",
    "absurd_amount",
    "missing_key",
    "missing_value",
    "exact_duplicate",
)
ORDER_OPTIONAL = ("currency", "status", "channel", "discount_amount")


def mess_orders(
    rng: np.random.Generator,
    table: pa.Table,
    ts: np.ndarray,
    total: np.ndarray,
    ids: Ids,
    ghost_seq: int,
    order_seq: int,
    rate: float,
) -> tuple[pa.Table, DefectLog, int]:
    """Orders with bad dates/amounts/keys, exact duplicates and orders of unknown customers.

    Returns the messy table, the log and the number of orphan orders appended (they use the order ids
    ``order_seq ...`` and unknown customer ids ``ghost_seq ...``).
    """
    n = table.num_rows
    log = DefectLog("orders")
    kinds = pick_kinds(rng, n, len(ORDER_KINDS), rate)
    cols = {c: table.column(c).combine_chunks() for c in table.column_names}
    keys = cols["order_id"]
    notes: list[tuple[str, np.ndarray, list[str | None] | str | None]] = []

    rows = _rows_of(kinds, 0)
    cols["ordered_at"] = set_where(
        cols["ordered_at"], kinds == 0, format_dates(rng, ts[rows], TIMESTAMP_FORMATS)
    )
    notes.append(("alt_date_format", rows, "ordered_at"))
    rows = _rows_of(kinds, 1)
    cols["ordered_at"] = set_where(cols["ordered_at"], kinds == 1, unparseable(rng, len(rows)))
    notes.append(("unparseable_date", rows, "ordered_at"))
    rows = _rows_of(kinds, 2)
    cols["order_total"] = set_where(
        cols["order_total"], kinds == 2, cents_to_decimal(-np.maximum(total[rows], 1))
    )
    # a negative total is a defect on a completed order only: on a return or a cancellation it
    # is a refund (docs/data_contract.md), so the defective rows say "completed"
    cols["status"] = set_where(cols["status"], kinds == 2, pa.array(np.full(len(rows), "completed")))
    notes.append(("negative_amount", rows, "order_total"))
    rows = _rows_of(kinds, 3)
    absurd = np.array(P.ABSURD_TOTALS_CENTS)[rng.integers(0, len(P.ABSURD_TOTALS_CENTS), len(rows))]
    cols["order_total"] = set_where(cols["order_total"], kinds == 3, cents_to_decimal(absurd))
    notes.append(("absurd_amount", rows, "order_total"))
    rows = _rows_of(kinds, 4)
    cols["order_id"] = set_where(cols["order_id"], kinds == 4)
    notes.append(("missing_key", rows, "order_id"))
    rows = _rows_of(kinds, 5)
    which = rng.integers(0, len(ORDER_OPTIONAL), len(rows))
    for j, col in enumerate(ORDER_OPTIONAL):
        mask = np.zeros(n, bool)
        mask[rows[which == j]] = True
        cols[col] = set_where(cols[col], mask)
    notes.append(("missing_value", rows, [ORDER_OPTIONAL[j] for j in which]))

    parents = _rows_of(kinds, 6)
    base = pa.table(cols)
    dups = base.take(pa.array(parents))

    # Orders of customers missing from the CRM export: copies of clean orders with new keys.
    clean = np.flatnonzero(kinds == -1)
    g = int(rng.binomial(len(clean), min(rate, 0.9))) if rate > 0 else 0
    src_rows = np.sort(rng.choice(clean, size=g, replace=False)) if g else np.zeros(0, np.int64)
    ghost = base.take(pa.array(src_rows))
    ghost = ghost.set_column(0, "order_id", order_ids(order_seq + np.arange(g)))
    ghost = ghost.set_column(1, "customer_id", ids.unknown(ghost_seq + np.arange(g)))
    out = pa.concat_tables([base, dups, ghost])

    for defect, rows, cl in notes:
        log.add(defect, keys.take(pa.array(rows)), rows, cl)
    log.add("exact_duplicate", keys.take(pa.array(parents)), n + np.arange(len(parents)), None)
    log.add(
        "unknown_customer",
        ghost.column("order_id").combine_chunks(),
        n + len(parents) + np.arange(g),
        "customer_id",
    )
    return out.combine_chunks(), log, g


def order_ids(seq: np.ndarray) -> pa.Array:
    """Order keys ``O000001234``."""
    return prefixed_ids("O", seq, 9)


def mess_events(
    rng: np.random.Generator,
    table: pa.Table,
    source: str,
    key: str,
    ts_col: str | None,
    win: Window,
    rate: float,
) -> tuple[pa.Table, DefectLog]:
    """Event logs: future timestamps and missing keys (if ``ts_col``), exact duplicate rows."""
    n = table.num_rows
    log = DefectLog(source)
    kind_names = ("exact_duplicate", "missing_key", "future_timestamp") if ts_col else ("exact_duplicate",)
    kinds = pick_kinds(rng, n, len(kind_names), rate)
    if (kinds < 0).all():
        return table, log
    keys = table.column(key).combine_chunks()
    if ts_col:
        rows = _rows_of(kinds, 2)
        # later than any build's clock (only those are future_timestamp), still a plausible date
        future = FUTURE_START + (rng.random(len(rows)) * 400 * P.DAY).astype(np.int64)
        i = table.column_names.index(ts_col)
        table = table.set_column(
            i, ts_col, set_where(table.column(ts_col).combine_chunks(), kinds == 2, ts_array(future))
        )
        i = table.column_names.index(key)
        table = table.set_column(i, key, set_where(keys, kinds == 1))
    parents = _rows_of(kinds, 0)
    out = pa.concat_tables([table, table.take(pa.array(parents))])
    log.add("exact_duplicate", keys.take(pa.array(parents)), n + np.arange(len(parents)), None)
    if ts_col:
        rows = _rows_of(kinds, 1)
        log.add("missing_key", keys.take(pa.array(rows)), rows, key)
        rows = _rows_of(kinds, 2)
        log.add("future_timestamp", keys.take(pa.array(rows)), rows, ts_col)
    return out, log
