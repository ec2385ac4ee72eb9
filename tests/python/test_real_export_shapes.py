"""Acceptance on generated data shaped like the real exports the project is judged on.

Three builds, each a default `dbt build` on a folder `audience generate` writes with shape options
(README "The generator"):

* transactions_only: a retailer's orders and customers only (no web, email, survey, consent or
  order-line files, no discount or channel column), 70 % one-time buyers, prices in GBP, 8 % of
  orders followed by a cancellation or return written as a negative order;
* small_shop: a 500-customer shop with orders, order lines and customers, mostly one-time buyers,
  a few returns;
* backtest: every source, built with `as_of_date` four months before the last order, so later
  rows are present in the files.

For each: the build passes with no skipped node, nothing a person reads (persona names and
descriptions, membership reasons) cites a source the data does not have, and every predictive
segment agrees on average with the score it is named for. Shape-specific checks follow.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from audience.feature_information import column_information
from audience.synth import Shape
from tests.python.conftest import DbtRun, generate, run_dbt

pytestmark = pytest.mark.e2e

END_DATE = "2025-12-31"
BACKTEST_AS_OF = "2025-09-02"  # 120 days before the last simulated day

# Words that cite a source: none may appear in what a person reads when the source is missing.
SOURCE_WORDS = {
    "web_events": re.compile(r"session|visit|page.?view|product.?view|brows|cart|on.?site", re.I),
    "email_events": re.compile(r"open.?rate|click|newsletter|campaign|e-?mail (open|engag|activ)", re.I),
    "survey_responses": re.compile(r"\bnps\b|survey|satisf", re.I),
}

# Predictive segment -> how its members must compare, on average, with everyone scored:
# (score column, "above" or "below" the scored average).
AGREEMENT = {
    "likely_to_return": [("churn_probability", "below")],
    "at_risk_high_value": [("churn_probability", "above"), ("clv", "above")],
    "high_clv_low_churn": [("churn_probability", "below"), ("clv", "above")],
}


@dataclass(frozen=True)
class ExportShape:
    name: str
    customers: int
    seed: int
    shape: Shape
    vars: dict = field(default_factory=dict)

    @property
    def missing(self) -> set[str]:
        return set(SOURCE_WORDS) - set(self.shape.sources)


SHAPES = {
    "transactions_only": ExportShape(
        "transactions_only",
        400,
        21,
        Shape(
            sources=("orders", "customers"),
            one_time_share=0.7,
            currency="GBP",
            cancel_rate=0.08,
            drop_columns=("discount_amount", "channel"),
        ),
    ),
    "small_shop": ExportShape(
        "small_shop",
        500,
        22,
        Shape(sources=("orders", "order_items", "customers"), one_time_share=0.7, cancel_rate=0.04),
    ),
    "backtest": ExportShape("backtest", 500, 23, Shape(), {"as_of_date": BACKTEST_AS_OF}),
}


@dataclass
class ShapedBuild:
    spec: ExportShape
    run: DbtRun
    run_results: list[dict]


def _build(tmp_path_factory: pytest.TempPathFactory, spec: ExportShape) -> ShapedBuild:
    work = tmp_path_factory.mktemp(spec.name)
    raw = work / "raw"
    generate(raw, spec.customers, seed=spec.seed, end_date=END_DATE, shape=spec.shape)
    args = ["build"]
    if spec.vars:
        args += ["--vars", json.dumps(spec.vars)]
    run = run_dbt(args, raw, work / "audience.duckdb", work)
    results_path = run.target_dir / "run_results.json"
    results = json.loads(results_path.read_text())["results"] if results_path.exists() else []
    return ShapedBuild(spec, run, results)


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """One build per shape for the whole module, made when a test first asks for it."""
    cache: dict[str, ShapedBuild] = {}

    def get(name: str) -> ShapedBuild:
        if name not in cache:
            cache[name] = _build(tmp_path_factory, SHAPES[name])
        return cache[name]

    return get


@pytest.fixture(params=list(SHAPES))
def shaped(request, builds) -> ShapedBuild:
    return builds(request.param)


@pytest.fixture
def transactions_only(builds) -> ShapedBuild:
    return builds("transactions_only")


@pytest.fixture
def small_shop(builds) -> ShapedBuild:
    return builds("small_shop")


@pytest.fixture
def backtest(builds) -> ShapedBuild:
    return builds("backtest")


# --- every shape -------------------------------------------------------------------------------


def test_default_build_passes_with_no_skipped_node(shaped: ShapedBuild):
    bad = [
        f"{r['unique_id']}: {r['status']}"
        for r in shaped.run_results
        if r["status"] in ("error", "fail", "runtime error", "skipped")
    ]
    assert shaped.run_results, shaped.run.output[-3000:]
    assert bad == [], f"{shaped.spec.name}: {len(bad)} nodes failed or skipped, e.g. {bad[:8]}"
    assert shaped.run.returncode == 0, shaped.run.output[-3000:]


def test_nothing_cites_a_source_the_data_does_not_have(shaped: ShapedBuild):
    texts = []
    personas = shaped.run.df("select persona_name, description from segment_personas")
    for row in personas.itertuples():
        texts.append(("persona", row.persona_name, f"{row.persona_name}: {row.description}"))
    reasons = shaped.run.df(
        "select segment_type, segment_name, any_value(reason) as reason from segment_membership group by all"
    )
    for row in reasons.itertuples():
        texts.append((row.segment_type, row.segment_name, f"{row.segment_name}: {row.reason}"))
    cited = [
        f"{kind} {name!r} cites {source} ({pattern.search(text).group(0)!r}): {text[:160]}"
        for source in sorted(shaped.spec.missing)
        for pattern in [SOURCE_WORDS[source]]
        for kind, name, text in texts
        if pattern.search(text)
    ]
    assert cited == [], "\n".join(cited)


def test_predictive_segments_agree_with_their_scores(shaped: ShapedBuild):
    scored = shaped.run.df(
        "select person_id, churn_probability, clv from customer_scores where churn_probability is not null"
    )
    members = shaped.run.df(
        "select segment_name, person_id from segment_membership where segment_type = 'predictive'"
    )
    assert len(scored) > 0
    unknown = sorted(set(members.segment_name) - set(AGREEMENT))
    assert unknown == [], f"no agreement check for predictive segments {unknown}: add them to AGREEMENT"
    joined = members.merge(scored, on="person_id")
    disagree = []
    for segment, checks in AGREEMENT.items():
        seg = joined[joined.segment_name == segment]
        if seg.empty:
            continue
        for column, direction in checks:
            mean, overall = seg[column].mean(), scored[column].mean()
            if (direction == "above" and not mean > overall) or (direction == "below" and not mean < overall):
                disagree.append(
                    f"{segment}: mean {column} of its {len(seg)} members is {mean:.3f}, "
                    f"not {direction} the scored average {overall:.3f}"
                )
    assert disagree == [], f"{shaped.spec.name}: " + "; ".join(disagree)


def test_uninformative_columns_are_reported_and_no_rule_uses_them(shaped: ShapedBuild):
    coverage = shaped.run.df("select * from dq_feature_coverage").set_index("column_name")
    status = shaped.run.df("select * from rule_segment_members_status").set_index("segment_name")
    if "web_events" in shaped.spec.missing:
        web = coverage.loc[["sessions_90d", "product_views_30d", "page_views_30d"]]
        assert (~web.is_informative).all() and (web.reason == "no web events").all()
    if "email_events" in shaped.spec.missing:
        email = coverage.loc[["email_open_rate", "email_click_rate"]]
        assert (~email.is_informative).all() and (email.reason == "no email events").all()
    assert coverage.loc["order_count"].is_informative
    assert coverage.loc["total_revenue"].is_informative
    uninformative = set(coverage.index[~coverage.is_informative])
    for name, rule in status.iterrows():
        used = set((rule.columns_used or "").split(", ")) - {""}
        if used & uninformative:
            assert not rule.is_active and rule.members == 0, name
            for column in used & uninformative:
                assert column in rule.inactive_reason, (name, rule.inactive_reason)
    # no rule holds for everyone it could: the population is never one rule segment
    population = shaped.run.query("select count(*) from int_segment_rule_population")[0][0]
    assert (status.members < population).all()


def test_feature_coverage_follows_the_definition(shaped: ShapedBuild):
    """dq_feature_coverage (the warehouse's copy of the rule) against the package's rule,
    audience.feature_information.column_information, on customer_profiles: uninformative when the
    source has no rows, > 95 % null, < 2 distinct values, or one value for >= 99 % of the non-null
    rows."""
    coverage = shaped.run.df("select * from dq_feature_coverage").set_index("column_name")
    profiles = shaped.run.df("select * from customer_profiles")
    source_rows = dict(shaped.run.query("select source, clean_rows from dq_source_freshness"))
    numeric = [c for c in profiles.columns if pd.api.types.is_numeric_dtype(profiles[c].dtype)]
    numeric = [c for c in numeric if not pd.api.types.is_bool_dtype(profiles[c].dtype)]
    assert set(coverage.index) == set(numeric)
    for column in numeric:
        values = profiles[column].dropna()
        row = coverage.loc[column]
        assert pd.notna(row.source), f"{column}: no source in macros/quality/feature_coverage.sql"
        expected = column_information(profiles[column], source_rows.get(row.source, 0))
        assert bool(row.is_informative) == expected["is_informative"], (column, row.to_dict(), expected)
        assert row.distinct_values == values.nunique(), column
        assert row.people == len(profiles)


def test_reconciliation_holds(shaped: ShapedBuild):
    rows = shaped.run.df("select source, is_reconciled, unaccounted_rows from dq_reconciliation")
    assert rows.is_reconciled.all(), rows[~rows.is_reconciled]


# --- transactions-only retailer: one-time buyers, GBP, cancellations ------------------------------


def test_transactions_only_has_mostly_one_time_buyers(transactions_only: ShapedBuild):
    ((buyers, once),) = transactions_only.run.query(
        "select count(*), count(*) filter (where order_count = 1) "
        "from customer_profiles where order_count >= 1"
    )
    assert buyers > 300
    assert once / buyers >= 0.6, (once, buyers)
    rule = transactions_only.run.df(
        "select * from rule_segment_members_status where segment_name = 'high_engagement_buyers'"
    )
    assert not rule.is_active.iloc[0] and rule.members.iloc[0] == 0
    assert "sessions_90d: no web events" in rule.inactive_reason.iloc[0]


def test_money_is_in_the_orders_currency(transactions_only: ShapedBuild):
    texts = transactions_only.run.df(
        "select persona_name || ': ' || description as t from segment_personas"
    ).t
    reasons = transactions_only.run.df("select distinct reason as t from segment_membership").t
    dollars = [t for t in list(texts) + list(reasons) if t and ("$" in t or "USD" in t)]
    assert dollars == [], f"GBP orders described in dollars: {dollars[:3]}"
    assert any("GBP" in t or "£" in t for t in texts), list(texts)


def test_cancellations_are_business_events_not_bad_data(transactions_only: ShapedBuild):
    raw = transactions_only.run.raw_dir
    reversals = pd.read_parquet(raw / "_truth" / "reversals.parquet")
    assert len(reversals) > 50
    quarantined = transactions_only.run.df(
        "select business_key, reason_code from dq_quarantine where source = 'shop.orders'"
    )
    wrongly = quarantined[quarantined.business_key.isin(reversals.order_id)]
    assert wrongly.empty, (
        f"{len(wrongly)} of {len(reversals)} cancellations/returns quarantined: "
        f"{wrongly.reason_code.value_counts().to_dict()}"
    )


# --- backtest: rows after the as-of date are present ----------------------------------------------


def test_backtest_rows_after_the_as_of_date_are_not_bad_data(backtest: ShapedBuild):
    run = backtest.run
    as_of = pd.Timestamp(BACKTEST_AS_OF)
    orders = pd.read_csv(run.raw_dir / "orders.csv", dtype=str, keep_default_na=False)
    ordered_at = pd.to_datetime(orders.ordered_at, errors="coerce", format="%Y-%m-%d %H:%M:%S")
    assert (ordered_at >= as_of + pd.Timedelta(days=1)).mean() > 0.1  # the files do hold later rows
    ((as_of_date,),) = run.query("select distinct as_of_date from customer_profiles")
    assert pd.Timestamp(as_of_date) == as_of
    assert run.query(
        "select count(*) from customer_profiles where last_order_at >= cast(as_of_date as date) + 1"
    ) == [(0,)]
    # only timestamps later than the build's own clock are future_timestamp: the generator injects
    # some of those; the ~30 % of orders after the as-of date must not be added to them
    defects = pd.read_parquet(run.raw_dir / "_truth" / "defects.parquet")
    injected = int((defects.defect == "future_timestamp").sum())
    (future,) = run.query("select count(*) from dq_quarantine where reason_code = 'future_timestamp'")[0]
    assert future <= injected, f"{future} rows quarantined as future_timestamp, {injected} injected"
    ((membership_as_of,),) = run.query("select distinct as_of_date from segment_membership")
    assert pd.Timestamp(membership_as_of) == as_of


def test_small_shop_size(small_shop: ShapedBuild):
    (people,) = small_shop.run.query("select count(*) from customer_profiles")[0]
    assert 450 <= people <= 520
    coverage = small_shop.run.df("select * from dq_feature_coverage").set_index("column_name")
    assert coverage.loc["categories_bought"].is_informative  # order lines present
    assert coverage.loc["sessions_90d"].reason == "no web events"


def test_shapes_write_what_they_claim(tmp_path: Path):
    """The generator side of the shapes, checked without a build (fast)."""
    spec = SHAPES["transactions_only"]
    generate(tmp_path, 60, seed=spec.seed, shape=spec.shape)
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == ["customers.csv", "orders.csv"]
    orders = pd.read_csv(tmp_path / "orders.csv", dtype=str)
    assert set(orders.currency.dropna()) == {"GBP"}
    assert (orders[orders.status.isin(["cancelled", "returned"])].order_total.astype(float) < 0).all()


def test_report_and_summary_say_what_was_left_out(transactions_only: ShapedBuild, tmp_path: Path, capsys):
    from audience import cli
    from tests.python.html_check import parse, table_rows

    out = tmp_path / "r.html"
    assert cli.main(["report", "--db", str(transactions_only.run.db_path), "--out", str(out)]) == 0
    p = parse(out.read_text(encoding="utf-8"))
    assert p.errors == []
    left_out = {r["column_name"]: r["reason"] for r in table_rows(p, "dq-left-out")}
    assert left_out["sessions_90d"] == "no web events"
    assert left_out["email_open_rate"] == "no email events"
    assert "order_count" not in left_out
    inactive = {r["segment_name"] for r in table_rows(p, "dq-inactive-rules")}
    assert "high_engagement_buyers" in inactive
    capsys.readouterr()
    args = [
        "summary",
        "--db",
        str(transactions_only.run.db_path),
        "--target-dir",
        str(transactions_only.run.target_dir),
    ]
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert re.search(r"left out: .*sessions_90d.* \(no web events\)", printed), printed
    assert "inactive rule: high_engagement_buyers" in printed
    # both tables reach BI readers
    from audience.bi_publish import default_bi_path

    bi = duckdb.connect(str(default_bi_path(str(transactions_only.run.db_path))), read_only=True)
    try:
        tables = {r[0] for r in bi.execute("select table_name from information_schema.tables").fetchall()}
    finally:
        bi.close()
    assert {"dq_feature_coverage", "rule_segment_members_status"} <= tables
