"""Tests of the synthetic data generator ``audience.synth``.

Small populations (2,000 customers) keep the module well under a minute. The data contract
(docs/data_contract.md) is parsed so the column checks follow the document, not a copy of it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from audience.synth import LATENT_TYPES, STEMS, Shape, append_day, generate

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "data_contract.md"
N = 2000
SEED = 11
END = pd.Timestamp("2025-12-31 23:59:59")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$")
ALT_FORMATS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%m/%d/%Y", "%d-%b-%Y")
DATE_COLUMNS = {
    "customers": ["birth_date", "signup_at", "updated_at"],
    "orders": ["ordered_at"],
    "web_events": ["event_at"],
    "email_events": ["event_at"],
    "survey_responses": ["submitted_at"],
    "consent_events": ["event_at"],
}
KEYS = {
    "customers": "customer_id",
    "orders": "order_id",
    "web_events": "event_id",
    "email_events": "email_event_id",
}
ALL_DEFECTS = {
    "duplicate_record",
    "conflicting_duplicate",
    "unparseable_date",
    "negative_amount",
    "absurd_amount",
    "unknown_customer",
    "future_timestamp",
    "missing_key",
    "exact_duplicate",
    "email_noise",
    "alt_date_format",
    "missing_value",
    "alt_value_format",
}


def contract_columns() -> dict[str, list[str]]:
    """Columns of every source, in document order, parsed from the data contract."""
    out: dict[str, list[str]] = {}
    stem = None
    for line in CONTRACT.read_text().splitlines():
        m = re.match(r"^### `(\w+)`", line)
        if m:
            stem = m.group(1)
            out[stem] = []
            continue
        if stem and line.startswith("|") and not line.startswith("| ---") and not line.startswith("| column"):
            cell = line.split("|")[1].replace("*", "").replace("`", "").strip()
            out[stem] += [c.strip() for c in cell.split(",")]
    return out


def read(out: Path, stem: str) -> pd.DataFrame:
    """A raw CSV as text, missing values as empty strings (as staging sees them)."""
    return pd.read_csv(out / f"{stem}.csv", dtype=str, keep_default_na=False)


def parses(value: str) -> bool:
    """True if the value is in one of the date formats of the contract."""
    if value.isdigit():
        return True
    for fmt in ALT_FORMATS + ("%Y-%m-%d %H:%M:%S",):
        try:
            dt.datetime.strptime(value, fmt)
            return True
        except ValueError:
            pass
    return False


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("messy")
    return out, generate(N, seed=SEED, out_dir=out, mess_rate=0.03)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("clean")
    return out, generate(N, seed=SEED, out_dir=out, mess_rate=0.0)


@pytest.fixture(scope="module")
def web_clean(clean: tuple[Path, dict[str, int]]) -> pd.DataFrame:
    return read(clean[0], "web_events")


def test_columns_match_contract(messy: tuple[Path, dict[str, int]]) -> None:
    out, _ = messy
    expected = contract_columns()
    assert set(expected) == set(STEMS)
    for stem in STEMS:
        header = (out / f"{stem}.csv").open().readline().strip().replace('"', "").split(",")
        assert header == expected[stem], stem


def test_row_counts_match_files(messy: tuple[Path, dict[str, int]]) -> None:
    out, counts = messy
    assert set(counts) == set(STEMS)
    for stem in STEMS:
        assert len(read(out, stem)) == counts[stem] > 0, stem
    meta = json.loads((out / "_truth" / "meta.json").read_text())
    assert meta["row_counts"] == counts and meta["n_customers"] == N and meta["seed"] == SEED


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(300, seed=5, out_dir=a)
    generate(300, seed=5, out_dir=b)
    generate(300, seed=6, out_dir=c)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert len(files) == len(STEMS) + 4
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert (a / "orders.csv").read_bytes() != (c / "orders.csv").read_bytes()


def test_clean_output_has_no_defects(clean: tuple[Path, dict[str, int]], web_clean: pd.DataFrame) -> None:
    out, counts = clean
    assert pq.read_table(out / "_truth" / "defects.parquet").num_rows == 0
    tables = {stem: read(out, stem) for stem in STEMS if stem != "web_events"} | {"web_events": web_clean}
    for stem, cols in DATE_COLUMNS.items():
        for col in cols:
            assert tables[stem][col].str.match(ISO).all(), (stem, col)
    cust, orders, items = tables["customers"], tables["orders"], tables["order_items"]
    assert cust.customer_id.is_unique and len(cust) == N
    assert (cust.email == cust.email.str.strip().str.lower()).all()
    assert (cust != "").all().all()
    assert orders.customer_id.isin(cust.customer_id).all()
    assert orders.order_id.is_unique and (orders.order_id != "").all()
    total = orders.order_total.astype(float)
    assert (total > 0).all() and (total < 5_000).all()
    assert (web_clean.event_id != "").all() and web_clean.event_id.is_unique
    assert pd.to_datetime(web_clean.event_at).max() <= END
    assert tables["email_events"].email_event_id.is_unique
    cid = web_clean.customer_id
    assert cid[cid != ""].isin(cust.customer_id).all()
    # order lines add up to the order total, to the cent
    lines = (
        (items.quantity.astype(int) * (items.unit_price.astype(float) * 100).round())
        .groupby(items.order_id)
        .sum()
    )
    cents = (total * 100).round().set_axis(orders.order_id)
    assert (lines.reindex(cents.index) == cents).all()


def test_every_defect_kind_is_logged_and_real(messy: tuple[Path, dict[str, int]]) -> None:
    out, _ = messy
    defects = pd.read_parquet(out / "_truth" / "defects.parquet")
    assert set(defects.defect) == ALL_DEFECTS
    frames = {stem: read(out, stem) for stem in ("customers", "orders", "web_events", "email_events")}
    truth = pd.read_parquet(out / "_truth" / "customers.parquet").set_index("customer_id")
    for (source, defect), group in defects.groupby(["source", "defect"]):
        df = frames[source]
        rows = df.iloc[group.row_number.to_numpy() - 1]
        key = KEYS[source]
        if defect != "missing_key":
            assert (rows[key].to_numpy() == group.key.to_numpy()).all(), (source, defect)
        for (_, row), (_, d) in zip(rows.iterrows(), group.iterrows(), strict=True):
            col = d["column"]
            if defect == "email_noise":
                assert row.email != row.email.strip().lower() == truth.loc[d.key, "email"]
            elif defect == "alt_date_format":
                assert not ISO.match(row[col]) or len(row[col]) == 10 and col != "birth_date"
                assert parses(row[col]), row[col]
            elif defect == "unparseable_date":
                assert not parses(row[col]), row[col]
            elif defect == "missing_value":
                assert row[col] == ""
            elif defect == "alt_value_format":
                assert row[col] not in {"female", "male", "other", "DE", "FR", "NL", "AT", "ES", "IT", "BE"}
            elif defect == "missing_key":
                assert row[key] == ""
            elif defect == "negative_amount":
                assert float(row.order_total) < 0
            elif defect == "absurd_amount":
                assert float(row.order_total) >= 1e7
            elif defect == "future_timestamp":
                assert pd.Timestamp(row.event_at) > END + pd.Timedelta(hours=12)
        if defect == "exact_duplicate":
            dup = df.duplicated(keep="first")
            assert dup.iloc[group.row_number - 1].all() and dup.sum() == len(group), source
        if defect == "unknown_customer":
            assert not rows.customer_id.isin(frames["customers"].customer_id).any()
        if defect == "conflicting_duplicate":
            for _, row in rows.iterrows():
                versions = df[df.customer_id == row.customer_id]
                assert len(versions) == 2 and row.updated_at < versions.updated_at.max()
                assert (versions.nunique() > 1).sum() >= 3  # updated_at plus address / phone at least
        if defect == "duplicate_record":
            assert not truth.loc[group.key, "is_primary"].any()
            primary = truth.loc[truth.loc[group.key, "primary_customer_id"], "email"].to_numpy()
            assert (rows.email.str.strip().str.lower().to_numpy() == primary).all()
            assert (rows.email.to_numpy() != primary).all()
    # the log is complete: nothing defective is missing from it
    orders = frames["orders"]
    n_logged = defects[defects.source == "orders"].defect.value_counts()
    assert (orders.order_id == "").sum() == n_logged["missing_key"]
    total = pd.to_numeric(orders.order_total, errors="coerce")
    assert (total < 0).sum() == n_logged["negative_amount"] and (total >= 1e7).sum() == n_logged[
        "absurd_amount"
    ]
    assert (~orders.customer_id.isin(frames["customers"].customer_id)).sum() == n_logged["unknown_customer"]
    web = frames["web_events"]
    n_future = (pd.to_datetime(web.event_at) > END).sum()
    assert n_future == (defects.defect == "future_timestamp").sum()


def test_truth_tables(messy: tuple[Path, dict[str, int]]) -> None:
    out, _ = messy
    truth = pd.read_parquet(out / "_truth" / "customers.parquet")
    cust = read(out, "customers")
    assert truth.customer_id.is_unique
    assert set(truth.customer_id) == set(cust.customer_id)
    assert set(truth.latent_type) == set(LATENT_TYPES)
    primary = truth[truth.is_primary]
    assert len(primary) == N and primary.person_id.is_unique
    shares = primary.latent_type.value_counts(normalize=True)
    expected = {
        "loyal_high_value": 0.15,
        "occasional": 0.30,
        "deal_hunter": 0.20,
        "new_visitor": 0.20,
        "lapsed": 0.15,
    }
    for name, share in expected.items():
        assert abs(shares[name] - share) < 0.04, name
    second = truth[~truth.is_primary]
    assert len(second) > 0
    assert second.person_id.isin(primary.person_id).all()
    assert (
        second.set_index("primary_customer_id").person_id
        == primary.set_index("customer_id").person_id.reindex(second.primary_customer_id)
    ).all()
    devices = pd.read_parquet(out / "_truth" / "anonymous_ids.parquet")
    assert devices.anonymous_id.is_unique
    per_person = devices.dropna(subset=["person_id"]).groupby("person_id").size()
    assert per_person.between(1, 3).all() and len(per_person) == N
    assert devices.person_id.isna().any()  # visitors who never register
    web = read(out, "web_events")
    assert web.anonymous_id.isin(devices.anonymous_id).all()
    logged = web[web.customer_id != ""]
    assert 0.3 < len(logged) / len(web) < 0.9  # purchase sessions are logged in; browsing is often not
    # logged-in rows link each device to its own person only
    link = logged.merge(devices, on="anonymous_id", suffixes=("", "_true"))
    link_person = truth.set_index("customer_id").person_id.reindex(link.customer_id).to_numpy()
    assert (link_person == link.person_id.to_numpy()).all()


def test_mess_does_not_change_behaviour(
    clean: tuple[Path, dict[str, int]], messy: tuple[Path, dict[str, int]]
) -> None:
    cols = ["customer_id", "latent_type", "lambda", "p_dropout", "death_at", "signup_at", "aov_mean"]
    a = pd.read_parquet(clean[0] / "_truth" / "customers.parquet", columns=cols + ["is_primary"])
    b = pd.read_parquet(messy[0] / "_truth" / "customers.parquet", columns=cols + ["is_primary"])
    pd.testing.assert_frame_equal(a[cols], b[b.is_primary][cols].reset_index(drop=True))


def test_btyd_sanity(clean: tuple[Path, dict[str, int]], web_clean: pd.DataFrame) -> None:
    out, _ = clean
    truth = pd.read_parquet(out / "_truth" / "customers.parquet").set_index("customer_id")
    orders = read(out, "orders")
    orders["ts"] = pd.to_datetime(orders.ordered_at)
    orders["type"] = truth.latent_type.reindex(orders.customer_id).to_numpy()
    lapsed = orders[orders.type == "lapsed"]
    assert len(lapsed) and lapsed.ts.max() < END - pd.Timedelta(days=180)
    assert not truth[truth.latent_type == "lapsed"].is_alive_at_end.any()
    freq = orders.groupby("customer_id").size().reindex(truth.index, fill_value=0)
    by_type = freq.groupby(truth.latent_type).median()
    assert by_type["loyal_high_value"] > 3 * by_type["occasional"]
    assert by_type["deal_hunter"] > by_type["occasional"]
    without = freq[freq == 0].index
    assert (truth.loc[without, "latent_type"] == "new_visitor").all()
    assert (freq == truth.n_orders).all()
    aov = orders.order_total.astype(float).groupby(orders.type).mean()
    assert aov["loyal_high_value"] > aov["occasional"] > aov["deal_hunter"]
    disc = (
        orders.discount_amount.astype(float).groupby(orders.type).sum()
        / (orders.order_total.astype(float) + orders.discount_amount.astype(float)).groupby(orders.type).sum()
    )
    assert disc["deal_hunter"] > 0.3 > 0.05 > disc["loyal_high_value"]
    new = truth[truth.latent_type == "new_visitor"]
    assert (new.signup_at > END - pd.Timedelta(days=61)).all()
    # browsing stops at death: no events of dead people a day after their death
    devices = pd.read_parquet(out / "_truth" / "anonymous_ids.parquet")
    web = web_clean.merge(devices[["anonymous_id", "person_id"]], on="anonymous_id")
    death = truth[truth.is_primary].set_index("person_id").death_at
    after = pd.to_datetime(web.event_at) > death.reindex(web.person_id).to_numpy() + pd.Timedelta(days=1)
    assert not after.any()


def test_types_are_separable(clean: tuple[Path, dict[str, int]], web_clean: pd.DataFrame) -> None:
    """K-Means on the seven log1p + z-scored RFM/engagement features recovers the true types."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    out, _ = clean
    cust = read(out, "customers").set_index("customer_id")
    orders = read(out, "orders")
    orders["ts"] = pd.to_datetime(orders.ordered_at)
    total, disc = orders.order_total.astype(float), orders.discount_amount.astype(float)
    g = orders.assign(total=total, disc=disc).groupby("customer_id")
    f = pd.DataFrame(index=cust.index)
    f["frequency"] = g.size()
    f["monetary"] = g.total.mean()
    f["discount_share"] = g.disc.sum() / (g.total.sum() + g.disc.sum())
    first = pd.concat([pd.to_datetime(cust.signup_at), g.ts.min()], axis=1).min(axis=1)
    f["tenure"] = (END - first).dt.days
    f["recency"] = (END - g.ts.max()).dt.days
    f["recency"] = f.recency.fillna(f.tenure)
    web = web_clean
    stitched = (
        web[web.customer_id != ""].drop_duplicates("anonymous_id").set_index("anonymous_id").customer_id
    )
    who = web.customer_id.where(web.customer_id != "", web.anonymous_id.map(stitched))
    recent = pd.to_datetime(web.event_at) > END - pd.Timedelta(days=90)
    f["web_sessions_90d"] = web[recent].groupby(who[recent]).session_id.nunique()
    email = read(out, "email_events")
    counts = email.groupby(["customer_id", "event_type"]).size().unstack(fill_value=0)
    f["open_rate"] = counts["open"] / counts["sent"]
    z = np.log1p(f.fillna(0).clip(lower=0))
    z = (z - z.mean()) / z.std()
    labels = KMeans(5, n_init=10, random_state=0).fit_predict(z)
    truth = pd.read_parquet(out / "_truth" / "customers.parquet").set_index("customer_id")
    assert adjusted_rand_score(truth.latent_type.reindex(f.index), labels) >= 0.8


def test_append_day(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        generate(400, seed=3, out_dir=out)
    counts = append_day(a, seed=9)
    assert counts == append_day(b, seed=9)
    name = "2026-01-01.csv"
    for stem in ("web_events", "orders", "order_items"):
        assert (a / stem / name).read_bytes() == (b / stem / name).read_bytes()
        assert len(pd.read_csv(a / stem / name, dtype=str)) == counts[stem] > 0
    web = pd.read_csv(a / "web_events" / name, dtype=str, keep_default_na=False)
    assert (web.event_at.str[:10] == "2026-01-01").all()
    sessions = web.groupby("session_id").event_type.agg(set)
    assert sessions.map(lambda s: "purchase" in s).any()
    assert sessions.map(lambda s: "add_to_cart" in s and "purchase" not in s).any()
    orders = pd.read_csv(a / "orders" / name, dtype=str)
    base = read(a, "orders")
    assert not orders.order_id.isin(base.order_id).any()
    assert orders.customer_id.isin(read(a, "customers").customer_id).all()
    assert not web.event_id.isin(read(a, "web_events").event_id).any()
    items = pd.read_csv(a / "order_items" / name, dtype=str)
    assert set(items.order_id) == set(orders.order_id)
    # the next call continues with the next day; the meta file records both
    counts2 = append_day(a, seed=9, n_active=25)
    assert (a / "orders" / "2026-01-02.csv").exists() and counts2["orders"] >= 1
    meta = json.loads((a / "_truth" / "meta.json").read_text())
    assert meta["last_event_date"] == "2026-01-02" and meta["appended_dates"] == ["2026-01-01", "2026-01-02"]
    # a fresh generate removes stale batches so they are never unioned with new data
    generate(100, seed=1, out_dir=a)
    assert not (a / "orders" / name).exists()


def test_parquet_has_csv_content(tmp_path: Path) -> None:
    generate(300, seed=4, out_dir=tmp_path / "csv")
    generate(300, seed=4, out_dir=tmp_path / "pq", fmt="parquet")
    for stem in STEMS:
        assert not (tmp_path / "pq" / f"{stem}.csv").exists()
        p = pd.read_parquet(tmp_path / "pq" / f"{stem}.parquet").fillna("")
        c = read(tmp_path / "csv", stem)
        assert list(p.columns) == list(c.columns)
        pd.testing.assert_frame_equal(p.astype(str), c, check_dtype=False)


def test_chunks_keep_keys_unique(tmp_path: Path) -> None:
    counts = generate(1000, seed=2, out_dir=tmp_path, mess_rate=0.02, chunk_size=350)
    cust = read(tmp_path, "customers")
    truth = pd.read_parquet(tmp_path / "_truth" / "customers.parquet")
    assert set(cust.customer_id) == set(truth.customer_id) and len(truth[truth.is_primary]) == 1000
    for stem, key in (("orders", "order_id"), ("web_events", "event_id"), ("email_events", "email_event_id")):
        df = read(tmp_path, stem).drop_duplicates()
        keys = df[key][df[key] != ""]
        assert keys.is_unique, stem
        assert len(read(tmp_path, stem)) == counts[stem]
    defects = pd.read_parquet(tmp_path / "_truth" / "defects.parquet")
    orders = read(tmp_path, "orders")
    neg = defects[defects.defect == "negative_amount"]
    assert (orders.order_total.iloc[neg.row_number - 1].astype(float) < 0).all()


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(10, out_dir=tmp_path, fmt="json")
    with pytest.raises(ValueError):
        generate(10, out_dir=tmp_path, mess_rate=1.5)
    with pytest.raises(ValueError):
        generate(0, out_dir=tmp_path)


# --- shapes of real exports (synth.Shape / `audience generate --sources ... --cancel-rate ...`) ---

# sha256 of the default output (300 customers, seed 1): the default shape must not change a
# byte. Update only with a deliberate change of the simulation or of its injected defects.
DEFAULT_300_SEED_1 = {
    "customers.csv": "eae85da3a40481bb8592c4c579984bb8202379e04d8876abb8f1fce879c5beaa",
    "orders.csv": "8b17a4479633daecf0749c998436a785e0c445620797ff7b675dcba86e951f68",
    "order_items.csv": "ece64eac2ef1a552dacd0dcf2b25d8780809375114e9ff0a5e52eb12770b46be",
    "web_events.csv": "297334ecd0a2ff9d272fc0e5a8dafcb845b92138d4ab0c40f40e8c798c1c21c0",
}


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_default_shape_keeps_the_output_byte_identical(tmp_path: Path) -> None:
    counts = generate(300, seed=1, out_dir=tmp_path)
    assert set(counts) == set(STEMS)
    for name, digest in DEFAULT_300_SEED_1.items():
        assert _sha(tmp_path / name) == digest, name
    assert "shape" not in json.loads((tmp_path / "_truth" / "meta.json").read_text())
    assert not (tmp_path / "_truth" / "reversals.parquet").exists()


def test_shape_sources_writes_only_those_files(tmp_path: Path) -> None:
    full, shaped = tmp_path / "full", tmp_path / "shaped"
    generate(300, seed=2, out_dir=full)
    counts = generate(300, seed=2, out_dir=shaped, shape=Shape(sources=("orders", "customers")))
    assert list(counts) == ["customers", "orders"]
    assert sorted(p.name for p in shaped.iterdir()) == ["_truth", "customers.csv", "orders.csv"]
    # the simulation is the same: the files written are the full run's files
    for name in ("customers.csv", "orders.csv"):
        assert _sha(shaped / name) == _sha(full / name), name
    defects = pd.read_parquet(shaped / "_truth" / "defects.parquet")
    assert set(defects.source) <= {"orders", "customers"}
    assert len(defects) > 0
    meta = json.loads((shaped / "_truth" / "meta.json").read_text())
    assert meta["shape"]["sources"] == ["customers", "orders"]
    # re-generating the full shape into the folder removes nothing it should keep, and the other
    # way round a shaped run clears the stale sources of a previous full run
    generate(300, seed=2, out_dir=full, shape=Shape(sources=("orders",)))
    assert sorted(p.name for p in full.iterdir()) == ["_truth", "orders.csv"]


def test_one_time_share(tmp_path: Path) -> None:
    default, shaped = tmp_path / "default", tmp_path / "shaped"
    generate(500, seed=3, out_dir=default, mess_rate=0.0)
    generate(500, seed=3, out_dir=shaped, mess_rate=0.0, shape=Shape(one_time_share=0.65))
    before = pd.read_parquet(default / "_truth" / "customers.parquet")
    truth = pd.read_parquet(shaped / "_truth" / "customers.parquet")
    persons_before = before.groupby("person_id").n_orders.sum()
    persons = truth.groupby("person_id").n_orders.sum()
    assert (persons_before[persons_before > 0] == 1).mean() < 0.5  # the option does the work
    buyers = persons[persons > 0]
    assert abs((buyers == 1).mean() - 0.65) < 0.03
    assert (persons > 0).equals(persons_before > 0)  # nobody loses their first order
    # the truth agrees with the file: orders per customer_id
    orders = read(shaped, "orders")
    per_customer = orders.groupby("customer_id").size()
    t = truth.set_index("customer_id")
    assert (per_customer == t.n_orders.reindex(per_customer.index)).all()
    # buyers cut back to one order dropped out at it (BG/NBD death right after the purchase)
    cut = truth.person_id.map(persons_before).gt(1) & truth.person_id.map(persons).eq(1) & truth.is_primary
    assert cut.sum() > 50
    assert not truth[cut].is_alive_at_end.any()
    lapsed = truth.latent_type == "lapsed"
    assert (truth[cut & ~lapsed].death_at == truth[cut & ~lapsed].last_order_at).all()


def test_currency_and_mixed_currency(tmp_path: Path) -> None:
    eur, gbp, mixed = tmp_path / "eur", tmp_path / "gbp", tmp_path / "mixed"
    generate(300, seed=4, out_dir=eur, mess_rate=0.0)
    generate(300, seed=4, out_dir=gbp, mess_rate=0.0, shape=Shape(currency="GBP"))
    generate(300, seed=4, out_dir=mixed, mess_rate=0.0, shape=Shape(currency="GBP", mixed_currency_share=0.2))
    e, g, m = read(eur, "orders"), read(gbp, "orders"), read(mixed, "orders")
    assert set(e.currency) == {"EUR"}
    assert set(g.currency) == {"GBP"}
    assert g.drop(columns="currency").equals(e.drop(columns="currency"))
    assert set(m.currency) == {"GBP", "USD"}
    assert 0.15 < (m.currency == "USD").mean() < 0.25
    assert m.order_total.equals(g.order_total)


def test_cancellations_are_negative_orders(tmp_path: Path) -> None:
    generate(400, seed=5, out_dir=tmp_path, mess_rate=0.0, shape=Shape(cancel_rate=0.1))
    orders = read(tmp_path, "orders")
    items = read(tmp_path, "order_items")
    rev = pd.read_parquet(tmp_path / "_truth" / "reversals.parquet")
    assert 0.07 < len(rev) / (len(orders) - len(rev)) < 0.13
    reversal = orders[orders.order_id.isin(rev.order_id)].set_index("order_id")
    original = orders.set_index("order_id").loc[rev.original_order_id]
    assert set(orders.status) == {"completed", "cancelled", "returned"}
    assert set(orders[~orders.order_id.isin(rev.order_id)].status) == {"completed"}
    assert set(reversal.status) == {"cancelled", "returned"}
    r = reversal.loc[rev.order_id]
    assert (r.order_total.astype(float).to_numpy() == -original.order_total.astype(float).to_numpy()).all()
    assert (r.customer_id.to_numpy() == original.customer_id.to_numpy()).all()
    assert (pd.to_datetime(r.ordered_at).to_numpy() >= pd.to_datetime(original.ordered_at).to_numpy()).all()
    assert (pd.to_datetime(r.ordered_at) <= END).all()
    assert (r.status.to_numpy() == rev.status.to_numpy()).all()
    # lines: the order's lines with negated quantities, summing to the negative total
    lines = items[items.order_id.isin(rev.order_id)]
    assert (lines.quantity.astype(int) < 0).all()
    line_sum = (lines.quantity.astype(int) * lines.unit_price.astype(float)).groupby(lines.order_id).sum()
    np.testing.assert_allclose(line_sum.loc[rev.order_id], r.order_total.astype(float), atol=0.005)
    # the truth still counts purchases only
    truth = pd.read_parquet(tmp_path / "_truth" / "customers.parquet")
    assert truth.n_orders.sum() == len(orders) - len(rev)


def test_tiny_shops(tmp_path: Path) -> None:
    for n in (1, 50):
        out = tmp_path / str(n)
        shape = Shape(sources=("orders", "customers"), one_time_share=0.7, currency="GBP", cancel_rate=0.1)
        counts = generate(n, seed=6, out_dir=out, shape=shape)
        assert counts["customers"] >= n
        assert (out / "orders.csv").exists()
        truth = pd.read_parquet(out / "_truth" / "customers.parquet")
        assert truth.person_id.nunique() == n


def test_append_day_keeps_the_shape(tmp_path: Path) -> None:
    shape = Shape(sources=("orders", "customers"), currency="GBP", cancel_rate=0.1, drop_columns=("channel",))
    generate(300, seed=7, out_dir=tmp_path, shape=shape)
    counts = append_day(tmp_path, seed=1, n_active=20)
    assert set(counts) == {"orders"}
    assert not (tmp_path / "web_events").exists()
    batch = pd.read_csv(next((tmp_path / "orders").iterdir()), dtype=str)
    assert len(batch) > 0
    assert set(batch.currency) == {"GBP"}
    assert set(batch.status) == {"completed"}
    assert "channel" not in batch.columns


def test_shape_rejects_bad_arguments(tmp_path: Path) -> None:
    for bad in (
        {"sources": ("web_events",)},
        {"sources": ("orders", "invoices")},
        {"one_time_share": 1.5},
        {"currency": "pounds"},
        {"mixed_currency_share": 1.0},
        {"cancel_rate": -0.1},
    ):
        with pytest.raises(ValueError):
            Shape(**bad)
    from audience.cli import main

    assert main(["generate", "--customers", "5", "--out", str(tmp_path), "--sources", "orders,invoices"]) == 2
    assert not (tmp_path / "orders.csv").exists()


def test_drop_columns_leaves_optional_columns_out(tmp_path: Path) -> None:
    full, shaped = tmp_path / "full", tmp_path / "shaped"
    generate(300, seed=8, out_dir=full, mess_rate=0.05)
    generate(
        300, seed=8, out_dir=shaped, mess_rate=0.05, shape=Shape(drop_columns=("discount_amount", "channel"))
    )
    orders = read(shaped, "orders")
    assert list(orders.columns) == [
        "order_id",
        "customer_id",
        "ordered_at",
        "order_total",
        "currency",
        "status",
    ]
    assert orders.equals(read(full, "orders").drop(columns=["channel", "discount_amount"]))
    # consent_events requires channel: it keeps it
    assert "channel" in read(shaped, "consent_events").columns
    # the defect log names no dropped column, and keeps every other defect
    before = pd.read_parquet(full / "_truth" / "defects.parquet")
    after = pd.read_parquet(shaped / "_truth" / "defects.parquet")
    dropped = (before.source == "orders") & before.column.isin(["discount_amount", "channel"])
    assert dropped.sum() > 0
    assert len(after) == len(before) - dropped.sum()
    assert not ((after.source == "orders") & after.column.isin(["discount_amount", "channel"])).any()
    with pytest.raises(ValueError):
        Shape(drop_columns=("order_total",))
