"""Unit tests of audience.personas: persona tables, automatic names and descriptions."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from audience import persona_job as pj
from audience import personas as ps

FEATURES = [
    "order_count",
    "avg_order_value",
    "recency_days",
    "tenure_days",
    "discount_share",
    "sessions_90d",
    "email_open_rate",
]

# Typical values of each archetype, in FEATURES order.
ARCHETYPE_PROFILES = {
    "High-value loyalists": (14, 150, 12, 1200, 0.10, 15, 0.45),
    "Deal hunters": (6, 40, 40, 600, 0.80, 8, 0.35),
    "New visitors": (1, 60, 15, 30, 0.20, 5, 0.30),
    "Lapsed big spenders": (5, 220, 400, 1300, 0.10, 0.5, 0.05),
    "Occasional shoppers": (1.5, 55, 150, 700, 0.25, 2, 0.15),
    "Engaged browsers": (2, 60, 80, 500, 0.20, 40, 0.60),
    "At-risk regulars": (11, 70, 200, 1000, 0.15, 3, 0.20),
}
CATEGORIES = ["shoes", "bags", "hats", "socks"]


def archetype_rows(name: str, n: int, rng: np.random.Generator, **override: float) -> pd.DataFrame:
    """``n`` people scattered around an archetype's profile (lognormal amounts, beta rates)."""
    values = dict(zip(FEATURES, ARCHETYPE_PROFILES[name], strict=True)) | override
    cols = {}
    for f, m in values.items():
        if f in ("discount_share", "email_open_rate"):
            cols[f] = rng.beta(m * 30, (1 - m) * 30, n)
        else:
            cols[f] = m * np.exp(rng.normal(0, 0.25, n))
    df = pd.DataFrame(cols)
    df["revenue"] = df["order_count"] * df["avg_order_value"]
    df["fav_category"] = rng.choice(CATEGORIES, n, p=[0.4, 0.3, 0.2, 0.1])
    df["truth"] = name
    return df


def population(names: list[str], n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = [archetype_rows(name, n, rng).assign(cluster=i + 1) for i, name in enumerate(names)]
    df = pd.concat(parts, ignore_index=True)
    df.insert(0, "person_id", [f"P{i:05d}" for i in range(len(df))])
    return df


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------


def test_archetype_clusters_get_the_expected_names() -> None:
    names = list(ARCHETYPE_PROFILES)
    df = population(names)
    out = ps.build_personas(df, df["cluster"].to_numpy(), FEATURES, revenue_col="revenue")
    assert out["cluster_id"].tolist() == list(range(1, len(names) + 1))
    assert out["persona_name"].tolist() == names


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_five_shop_types_are_named_right(seed: int) -> None:
    names = [
        "High-value loyalists",
        "Occasional shoppers",
        "Deal hunters",
        "New visitors",
        "Lapsed big spenders",
    ]
    df = population(names, seed=seed)
    out = ps.build_personas(df, "cluster", FEATURES, revenue_col="revenue")
    assert out["persona_name"].tolist() == names


def test_look_alike_clusters_get_qualifiers_not_numbers() -> None:
    rng = np.random.default_rng(4)
    df = pd.concat(
        [
            archetype_rows("High-value loyalists", 400, rng).assign(cluster=1),
            archetype_rows("Deal hunters", 400, rng).assign(cluster=2),
            archetype_rows("Deal hunters", 400, rng, recency_days=170).assign(cluster=3),
            archetype_rows("New visitors", 400, rng).assign(cluster=4),
        ],
        ignore_index=True,
    )
    out = ps.build_personas(df, "cluster", FEATURES, revenue_col="revenue")
    names = out["persona_name"].tolist()
    assert len(set(names)) == len(names)
    assert names[1] == "Recent deal hunters" and names[2] == "Lapsed deal hunters"
    assert not any(re.search(r"\d", n) for n in names)


def test_identical_clusters_never_share_a_name() -> None:
    rng = np.random.default_rng(5)
    deal = archetype_rows("Deal hunters", 300, rng)
    df = pd.concat(
        [
            archetype_rows("High-value loyalists", 300, rng).assign(cluster=1),
            deal.assign(cluster=2),
            deal.assign(cluster=3),  # the very same people again: nothing tells them apart
        ],
        ignore_index=True,
    )
    names = ps.build_personas(df, "cluster", FEATURES, revenue_col="revenue")["persona_name"].tolist()
    assert len(set(names)) == 3 and names[1] == "Deal hunters"
    # With a single role only one archetype applies: a number is the last resort.
    levels = pd.DataFrame({"discount": [0.95, 0.95, 0.2]}, index=[1, 2, 3])
    assert ps.name_clusters(levels) == {1: "Deal hunters", 2: "Deal hunters 2", 3: ps.FALLBACK_NAME}


def test_average_clusters_get_the_fallback_name() -> None:
    rng = np.random.default_rng(6)
    df = pd.concat([archetype_rows("Occasional shoppers", 500, rng) for _ in range(2)], ignore_index=True)
    labels = rng.integers(1, 3, size=len(df))  # two random halves of one population
    names = ps.build_personas(df, labels, FEATURES)["persona_name"].tolist()
    assert len(set(names)) == 2
    assert all(ps.FALLBACK_NAME.lower() in n.lower() for n in names)


def test_name_clusters_directly_from_levels() -> None:
    levels = pd.DataFrame(
        {"frequency": [0.9, 0.2, 0.5], "recency": [0.1, 0.9, 0.5], "revenue": [0.9, 0.1, 0.5]},
        index=[1, 2, 3],
    )
    names = ps.name_clusters(levels)
    assert names[1] == "High-value loyalists"
    assert names[3] == ps.FALLBACK_NAME
    scores = ps.archetype_scores({"discount": 0.95})
    assert max(scores, key=scores.get) == "Deal hunters"
    assert "High-value loyalists" not in scores  # its required roles are missing


# --------------------------------------------------------------------------------------------
# Table contents
# --------------------------------------------------------------------------------------------


def test_sizes_and_shares_sum_to_one() -> None:
    df = population(list(ARCHETYPE_PROFILES)[:4], n=250)
    rng = np.random.default_rng(0)
    labels = df["cluster"].to_numpy().copy()
    labels[rng.random(len(df)) < 0.2] = 4  # unequal sizes
    out = ps.build_personas(df, labels, FEATURES, revenue_col="revenue")
    assert out["size"].sum() == len(df)
    assert out["share"].sum() == pytest.approx(1.0)
    assert out["revenue_share"].sum() == pytest.approx(1.0)
    expected = df.groupby(labels)["revenue"].sum() / df["revenue"].sum()
    np.testing.assert_allclose(out["revenue_share"], expected.to_numpy())
    # Without any revenue column the share is null.
    no_rev = ps.build_personas(df.drop(columns="revenue"), labels, FEATURES)
    assert no_rev["revenue_share"].isna().all()


def test_null_labels_are_left_out_and_labels_can_be_a_column() -> None:
    df = population(list(ARCHETYPE_PROFILES)[:3], n=100)
    df["segment"] = df["cluster"].astype("Int64")
    df.loc[:9, "segment"] = pd.NA
    out = ps.build_personas(df, "segment", FEATURES, revenue_col="revenue")
    assert out["size"].sum() == len(df) - 10
    assert out["share"].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError):
        ps.build_personas(df, [1, 2], FEATURES)


def test_description_reads_like_the_numbers() -> None:
    a = pd.DataFrame(
        {
            "order_count": [14.0] * 50,
            "avg_order_value": [152.0] * 50,
            "recency_days": [12.0] * 50,
            "revenue": 300.0,
        }
    )
    b = pd.DataFrame(
        {
            "order_count": [2.0] * 200,
            "avg_order_value": [40.0] * 200,
            "recency_days": [90.0] * 200,
            "revenue": 50.0,
        }
    )
    df = pd.concat([a, b], ignore_index=True)  # population revenue mean: 100
    labels = np.r_[np.full(50, 1), np.full(200, 2)]
    out = ps.build_personas(
        df, labels, ["order_count", "avg_order_value", "recency_days"], revenue_col="revenue"
    )
    assert (
        out.loc[0, "description"]
        == "Ordered 14 times, avg order $152, last order 12 days ago; 3x the average revenue."
    )
    assert (
        out.loc[1, "description"]
        == "Ordered 2 times, avg order $40, last order 90 days ago; 0.5x the average revenue."
    )
    euro = ps.build_personas(df, labels, ["order_count"], revenue_col="revenue", currency="€")
    assert "avg order €152" in euro.loc[0, "description"]


def test_optional_roles_appear_when_distinctive() -> None:
    df = population(list(ARCHETYPE_PROFILES), n=200)
    out = ps.build_personas(df, "cluster", FEATURES, revenue_col="revenue").set_index("persona_name")
    assert "discount share" in out.loc["Deal hunters", "description"]
    assert "customer for" in out.loc["New visitors", "description"]
    assert "sessions in 90 days" in out.loc["Engaged browsers", "description"]
    assert all(d.endswith(".") and "\n" not in d for d in out["description"])


def test_missing_roles_are_skipped() -> None:
    df = population(list(ARCHETYPE_PROFILES), n=150)[["order_count", "avg_order_value", "cluster"]]
    out = ps.build_personas(df, "cluster", ["order_count", "avg_order_value"])
    assert out["persona_name"].is_unique
    assert not out["description"].str.contains("last order|customer for|discount").any()
    assert out["description"].str.startswith("Ordered").all()


def test_custom_role_mapping() -> None:
    df = population(list(ARCHETYPE_PROFILES), n=200)
    renamed = df.rename(columns={"order_count": "n_purchases", "discount_share": "promo_ratio"})
    feats = [{"order_count": "n_purchases", "discount_share": "promo_ratio"}.get(f, f) for f in FEATURES]
    roles = {"frequency": "n_purchases", "discount": "promo_ratio"}
    default = ps.build_personas(df, "cluster", FEATURES, revenue_col="revenue")
    custom = ps.build_personas(renamed, "cluster", feats, revenue_col="revenue", roles=roles)
    assert custom["persona_name"].tolist() == default["persona_name"].tolist()
    no_discount = ps.build_personas(df, "cluster", FEATURES, revenue_col="revenue", roles={"discount": None})
    assert "Deal hunters" not in no_discount["persona_name"].tolist()
    assert ps.resolve_roles(["orders", "aov", "x"]) == {"frequency": "orders", "monetary": "aov"}


def test_features_without_roles_still_get_a_description() -> None:
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {"x1": np.r_[rng.normal(10, 1, 100), rng.normal(2, 1, 100)], "x2": rng.normal(5, 1, 200)}
    )
    labels = np.r_[np.ones(100, int), np.full(100, 2)]
    out = ps.build_personas(df, labels, ["x1", "x2"])
    assert out["description"].str.startswith("X1").all()
    assert out["persona_name"].is_unique


def test_top_categories() -> None:
    df = pd.DataFrame(
        {
            "order_count": [1.0] * 10,
            "fav": ["a", "a", "a", "b", "b", "c", None, "z", "z", "y"],
        }
    )
    labels = [1] * 7 + [2] * 3
    out = ps.build_personas(df, labels, ["order_count"], categories_col="fav")
    first = out.iloc[0]
    assert (first["top_category_1"], first["top_category_2"], first["top_category_3"]) == ("a", "b", "c")
    assert first["top_category_1_share"] == pytest.approx(0.5)  # 3 of the 6 with a known category
    assert first["top_categories"] == "a 50%, b 33%, c 17%"
    second = out.iloc[1]
    assert (second["top_category_1"], second["top_category_2"]) == ("z", "y")
    assert pd.isna(second["top_category_3"]) and np.isnan(second["top_category_3_share"])


def test_persona_features_long_form_and_wide_columns() -> None:
    df = pd.DataFrame({"order_count": [1.0, 3.0, 5.0, 7.0], "other": [0.0, 0.0, 1.0, None]})
    labels = [1, 1, 2, 2]
    long = ps.persona_features(df, labels, ["order_count", "other"])
    assert list(long.columns) == [
        "cluster_id",
        "feature",
        "role",
        "cluster_mean",
        "population_mean",
        "z_diff",
        "ratio",
        "level",
    ]
    oc = long[long["feature"] == "order_count"].set_index("cluster_id")
    assert oc.loc[1, "cluster_mean"] == 2.0 and oc.loc[1, "population_mean"] == 4.0
    assert oc.loc[1, "z_diff"] == pytest.approx((2 - 4) / np.std([1, 3, 5, 7]))
    assert oc.loc[2, "ratio"] == pytest.approx(1.5)
    assert oc.loc[1, "level"] == pytest.approx(0.25) and oc.loc[2, "level"] == pytest.approx(0.75)
    assert oc["role"].eq("frequency").all()
    other = long[long["feature"] == "other"].set_index("cluster_id")
    assert other.loc[2, "cluster_mean"] == 1.0  # nulls ignored
    assert np.isnan(other.loc[1, "ratio"]) or other.loc[1, "ratio"] == 0.0
    wide = ps.build_personas(df, labels, ["order_count", "other"])
    np.testing.assert_allclose(wide["mean_order_count"], [2.0, 6.0])
    np.testing.assert_allclose(wide["z_order_count"], oc["z_diff"].to_numpy())


def test_build_personas_is_deterministic() -> None:
    df = population(list(ARCHETYPE_PROFILES), n=150, seed=9)
    a = ps.build_personas(df, "cluster", FEATURES, categories_col="fav_category", revenue_col="revenue")
    b = ps.build_personas(df, "cluster", FEATURES, categories_col="fav_category", revenue_col="revenue")
    pd.testing.assert_frame_equal(a, b)
    expected = [
        "cluster_id",
        "persona_name",
        "description",
        "size",
        "share",
        "revenue_share",
        "top_categories",
    ]
    assert list(a.columns[: len(expected)]) == expected
    assert {f"mean_{f}" for f in FEATURES} | {f"z_{f}" for f in FEATURES} <= set(a.columns)


# --------------------------------------------------------------------------------------------
# Personas from what the data holds: absent sources, the orders' currency, no clusters
# --------------------------------------------------------------------------------------------

#: Words a persona may only use when the data has web sessions / email events.
WEB_WORDS = re.compile(r"session|visitor|brows|web", re.IGNORECASE)
EMAIL_WORDS = re.compile(r"email|open", re.IGNORECASE)


def _clustered_without_web_or_email(seed: int = 0) -> pd.DataFrame:
    """Clustered people of a shop with no web or email events: those columns are all 0."""
    df = population(list(ARCHETYPE_PROFILES), n=120, seed=seed)
    df = df.rename(
        columns={"cluster": "cluster_id", "revenue": "total_revenue", "fav_category": "favourite_category"}
    )
    df["sessions_90d"] = 0.0
    df["email_open_rate"] = 0.0
    df["model_version"] = "v1"
    return df.drop(columns=["truth"])


def test_personas_never_name_a_feature_the_data_does_not_have() -> None:
    clustered = _clustered_without_web_or_email()
    used = [f for f in FEATURES if f not in ("sessions_90d", "email_open_rate")]
    out = pj.build_segment_personas(clustered, FEATURES, ["GBP"], None, used)
    assert len(out) == len(ARCHETYPE_PROFILES)
    for text in out["persona_name"].tolist() + out["description"].tolist():
        assert not WEB_WORDS.search(text), text
        assert not EMAIL_WORDS.search(text), text
    # the new-customer archetype still exists, under a name that does not imply visits
    assert any("new customers" in n.lower() for n in out["persona_name"])
    assert not any(c.endswith(("sessions_90d", "email_open_rate")) for c in out.columns)
    assert {"mean_order_count", "z_recency_days"} <= set(out.columns)
    # with the events present the same people are described with them
    with_web = clustered.assign(sessions_90d=population(list(ARCHETYPE_PROFILES), n=120)["sessions_90d"])
    full = pj.build_segment_personas(with_web, FEATURES, ["GBP"], None, used + ["sessions_90d"])
    assert any(WEB_WORDS.search(t) for t in full["persona_name"].tolist() + full["description"].tolist())


def test_an_uninformative_non_feature_column_is_not_described() -> None:
    clustered = _clustered_without_web_or_email()
    # order values known for 3% of the people only: no segment's average order can be told
    known = np.arange(len(clustered)) % 33 == 0
    clustered["avg_order_value"] = clustered["avg_order_value"].where(known)
    out = pj.build_segment_personas(clustered, ["order_count", "recency_days"], ["EUR"])
    assert not any("avg order" in d for d in out["description"]), out["description"].tolist()
    assert any("last order" in d for d in out["description"])


@pytest.mark.parametrize(
    ("codes", "money", "note"),
    [
        (["GBP"], "£", None),
        (["EUR"], "€", None),
        (["CHF"], "CHF ", None),
        (["GBP", "USD"], None, "amounts mix currencies (GBP, USD)"),
        ([], None, None),
    ],
)
def test_descriptions_print_the_orders_currency(codes, money, note) -> None:
    out = pj.build_segment_personas(_clustered_without_web_or_email(), FEATURES[:4], codes)
    for d in out["description"]:
        assert re.search(rf"avg order {re.escape(money or '')}\d", d), d
        assert "$" not in d
        assert (note in d) if note else "mix" not in d


def test_currency_label() -> None:
    assert ps.currency_label(["gbp", "GBP", None]) == ("£", "")
    assert ps.currency_label(["XYZ"]) == ("XYZ ", "")
    assert ps.currency_label(["USD", "EUR"]) == ("", "amounts mix currencies (EUR, USD)")
    assert ps.currency_label([]) == ("", "")


def test_no_clustered_people_gives_an_empty_typed_table() -> None:
    empty = _clustered_without_web_or_email().iloc[0:0]
    out = pj.build_segment_personas(empty, FEATURES, ["GBP"], None, [])
    assert out.empty
    assert {"cluster_id", "persona_name", "description", "size", "share"} <= set(out.columns)
    assert str(out["persona_name"].dtype) == "string"
