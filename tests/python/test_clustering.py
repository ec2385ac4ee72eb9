"""Unit tests of audience.clustering: transform, choice of k, K-Means, hierarchy, validation.

All data is simulated here with a known truth; every test is deterministic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score

from audience import cluster_job
from audience import clustering as cl
from audience import feature_information as fi

# --------------------------------------------------------------------------------------------
# Simulated data
# --------------------------------------------------------------------------------------------


def blobs(
    k: int,
    n: int = 2400,
    p: int = 6,
    seed: int = 0,
    weights: list[float] | None = None,
    anisotropic: bool = False,
    min_center_distance: float = 9.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs (unit spread) whose centers are at least ``min_center_distance`` apart.

    With ``anisotropic`` every blob is stretched by its own random linear map (axis scales
    between 0.4 and 1.8, then a random rotation), giving elongated, tilted ellipsoids.
    """
    rng = np.random.default_rng(seed)
    centers: list[np.ndarray] = []
    while len(centers) < k:
        c = rng.uniform(-12, 12, size=p)
        if all(np.linalg.norm(c - o) >= min_center_distance for o in centers):
            centers.append(c)
    w = np.full(k, 1.0 / k) if weights is None else np.asarray(weights) / np.sum(weights)
    sizes = np.maximum(1, np.round(w * n).astype(int))
    X, y = [], []
    for j, (c, m) in enumerate(zip(centers, sizes, strict=True)):
        pts = rng.normal(size=(m, p))
        if anisotropic:
            q, _ = np.linalg.qr(rng.normal(size=(p, p)))
            pts = (pts * rng.uniform(0.4, 1.8, size=p)) @ q
        X.append(c + pts)
        y.append(np.full(m, j))
    X_all, y_all = np.vstack(X), np.concatenate(y)
    order = rng.permutation(len(X_all))
    X_all = (X_all - X_all.mean(0)) / X_all.std(0)
    return X_all[order], y_all[order]


CUSTOMER_TYPES = {
    # order_count, avg_order_value, recency_days, tenure_days, discount_share, sessions_90d, email_open_rate
    "loyal": (14, 150, 12, 1100, 0.08, 14, 0.55),
    "deal_hunter": (8, 30, 25, 600, 0.85, 10, 0.45),
    "new": (1.2, 55, 14, 35, 0.2, 9, 0.35),
    "lapsed": (5, 130, 380, 1000, 0.12, 0.4, 0.1),
    "occasional": (2.5, 60, 110, 650, 0.2, 2.5, 0.3),
}
CUSTOMER_FEATURES = [
    "order_count",
    "avg_order_value",
    "recency_days",
    "tenure_days",
    "discount_share",
    "sessions_90d",
    "email_open_rate",
]
CUSTOMER_LOG_FEATURES = ["order_count", "avg_order_value", "recency_days", "tenure_days", "sessions_90d"]


def customer_profile(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    """A profile of five latent customer types with skewed, count-like and rate features."""
    rng = np.random.default_rng(seed)
    names = list(CUSTOMER_TYPES)
    truth = rng.choice(len(names), size=n, p=[0.15, 0.2, 0.2, 0.15, 0.3])
    means = np.array([CUSTOMER_TYPES[t] for t in names])[truth]
    df = pd.DataFrame({"person_id": [f"P{i:06d}" for i in range(n)]})
    for j, col in enumerate(CUSTOMER_FEATURES):
        mu = means[:, j]
        if col in ("discount_share", "email_open_rate"):
            df[col] = rng.beta(mu * 25, (1 - mu) * 25)
        elif col == "order_count":
            df[col] = (1 + rng.poisson(mu * np.exp(rng.normal(0, 0.25, n)))).astype(float)
        else:
            df[col] = mu * np.exp(rng.normal(0, 0.3, n))
    df.loc[rng.random(n) < 0.05, "email_open_rate"] = np.nan  # never mailed
    df["latent_type"] = np.array(names)[truth]
    return df


# --------------------------------------------------------------------------------------------
# Transform
# --------------------------------------------------------------------------------------------


@pytest.fixture
def small_profile() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": ["a", "b", "c", "d", "e"],
            "orders": [1.0, 3.0, None, 10.0, -2.0],  # a negative value in a log feature
            "rate": [0.1, 0.5, 0.9, None, 0.3],
            "const": [7.0, 7.0, 7.0, 7.0, 7.0],
        }
    )


def test_transform_params_columns_and_values(small_profile: pd.DataFrame) -> None:
    params = cl.fit_transform_params(small_profile, ["orders", "rate", "const"], ["orders"])
    assert list(params.columns) == ["feature", "position", "use_log1p", "mean", "std", "median_fill"]
    assert params["feature"].tolist() == ["orders", "rate", "const"]
    assert params["position"].tolist() == [0, 1, 2]
    assert params["use_log1p"].tolist() == [True, False, False]
    orders = params.iloc[0]
    assert orders["median_fill"] == pytest.approx(2.0)  # median of 1, 3, 10, -2
    logged = np.log1p(np.maximum([1.0, 3.0, 2.0, 10.0, -2.0], 0))  # null filled, negative clipped
    assert orders["mean"] == pytest.approx(logged.mean())
    assert orders["std"] == pytest.approx(logged.std())
    assert params.iloc[1]["median_fill"] == pytest.approx(0.4)
    const = params.iloc[2]
    assert const["std"] == 1.0 and const["mean"] == pytest.approx(7.0)


def test_apply_transform_follows_the_sql_formula(small_profile: pd.DataFrame) -> None:
    params = cl.fit_transform_params(small_profile, ["orders", "rate", "const"], ["orders"])
    Z = cl.apply_transform(small_profile, params)
    assert Z.shape == (5, 3) and np.isfinite(Z).all()
    for row in params.itertuples():
        x = small_profile[row.feature].astype(float).fillna(row.median_fill)
        v = np.log1p(x.clip(lower=0)) if row.use_log1p else x
        np.testing.assert_allclose(Z[:, row.position], (v - row.mean) / row.std)
    # Standardized on the fitting data: mean 0, std 1 (or 0 for the constant column).
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), [1, 1, 0], atol=1e-12)


def test_feature_spec_and_errors(small_profile: pd.DataFrame) -> None:
    spec = cl.FeatureSpec(("orders", "rate"), ("orders",))
    pd.testing.assert_frame_equal(spec.fit(small_profile), cl.fit_transform_params(small_profile, spec))
    with pytest.raises(ValueError):
        cl.FeatureSpec(("a", "a"))
    with pytest.raises(ValueError):
        cl.FeatureSpec(("a",), ("b",))
    with pytest.raises(KeyError):
        cl.fit_transform_params(small_profile, ["missing"])
    all_null = small_profile.assign(orders=np.nan)
    params = cl.fit_transform_params(all_null, ["orders"], ["orders"])
    assert params.loc[0, "median_fill"] == 0.0 and params.loc[0, "std"] == 1.0


# --------------------------------------------------------------------------------------------
# Silhouette, knee and the choice of k
# --------------------------------------------------------------------------------------------


def test_silhouettes_match_sklearn() -> None:
    X, _ = blobs(4, n=600, seed=3)
    labelings = [cl.fit_kmeans(X, k, seed=0, n_init=2).labels for k in (2, 4, 6)]
    singleton = np.zeros(len(X), dtype=int)
    singleton[0] = 1  # a one-row cluster scores 0, as in sklearn
    labelings.append(singleton)
    ours = cl.silhouettes(X, labelings, block_rows=97)
    ref = [silhouette_score(X, lab) for lab in labelings]
    np.testing.assert_allclose(ours, ref, atol=1e-10)
    assert np.isnan(cl.silhouettes(X, [np.zeros(len(X))])[0])


def test_knee_detection() -> None:
    ks = np.arange(2, 9)
    wcss = np.array([1000, 600, 250, 220, 200, 185, 175], dtype=float)  # elbow at k=4
    assert cl.knee_k(ks, wcss) == 4
    assert cl.knee_k(ks, 100.0 - 10 * ks) is None  # a straight line has no knee
    assert cl.knee_k([2, 3], [10.0, 5.0]) is None
    assert cl.knee_k(ks, np.full(7, 3.0)) is None


def _k_table(sil: list[float], ch: list[float], shares: list[float] | None = None) -> pd.DataFrame:
    ks = list(range(2, 2 + len(sil)))
    return pd.DataFrame(
        {
            "k": ks,
            "wcss": [1000.0 / k**1.5 for k in ks],
            "silhouette": sil,
            "calinski_harabasz": ch,
            "davies_bouldin": [1.0] * len(ks),
            "min_cluster_share": shares or [0.1] * len(ks),
        }
    )


def test_choose_k_rules_on_a_table() -> None:
    table = _k_table([0.50, 0.49, 0.40, 0.30], [100, 250, 300, 200], [0.3, 0.2, 0.004, 0.1])
    k, reason = cl.choose_k(table)
    assert k == 3 and "excluded" in reason  # k=4 has a cluster under 1%
    assert cl.choose_k(table, "calinski_harabasz")[0] == 4
    # Silhouette 0.50 (k=2) and 0.49 (k=3) tie within 0.02; the knee of 1000/k^1.5 decides.
    knee = cl.knee_k(table["k"], table["wcss"])
    k_sil, why = cl.choose_k(table, "silhouette")
    assert k_sil == min((2, 3), key=lambda c: (abs(c - knee), c)) and "near-tie" in why
    assert cl.choose_k(table, "knee")[0] == knee
    assert cl.choose_k(table, fixed_k=7) == (7, "fixed k=7 from configuration")
    with pytest.raises(ValueError):
        cl.choose_k(table, "nonsense")  # type: ignore[arg-type]
    negative = _k_table([-0.1, 0.2, 0.1], [500, 100, 50])
    assert cl.choose_k(negative)[0] == 3  # a negative silhouette is not admissible


@pytest.mark.parametrize("true_k", [3, 4, 5, 6])
def test_default_rule_recovers_the_true_k(true_k: int) -> None:
    X, y = blobs(true_k, seed=true_k)
    table = cl.select_k(X, 2, 8, seed=1, silhouette_sample=2000)
    assert table["k"].tolist() == list(range(2, 9))
    assert table[["wcss", "silhouette", "calinski_harabasz", "davies_bouldin"]].notna().all().all()
    k, reason = cl.choose_k(table)
    assert k == true_k, reason
    # On well separated blobs the other rules agree too.
    assert cl.choose_k(table, "silhouette")[0] == true_k
    model = cl.fit_kmeans(X, k, seed=1)
    assert adjusted_rand_score(y, model.labels) >= 0.9


@pytest.mark.parametrize("seed", [0, 1])
def test_default_rule_on_unequal_anisotropic_blobs(seed: int) -> None:
    X, y = blobs(5, n=3000, seed=seed, weights=[0.4, 0.25, 0.15, 0.12, 0.08], anisotropic=True)
    table = cl.select_k(X, 2, 8, seed=0, silhouette_sample=2000)
    k, reason = cl.choose_k(table)
    assert k == 5, reason
    assert adjusted_rand_score(y, cl.fit_kmeans(X, k, seed=0).labels) >= 0.9


def test_segment_finds_five_customer_types() -> None:
    df = customer_profile()
    res = cl.segment(df, CUSTOMER_FEATURES, CUSTOMER_LOG_FEATURES, seed=3, validate=False)
    assert res.k == 5, res.reason
    assert adjusted_rand_score(df["latent_type"], res.model.labels) >= 0.9
    assert res.k_table["chosen"].sum() == 1
    assert res.assignments["person_id"].tolist() == df["person_id"].tolist()


# --------------------------------------------------------------------------------------------
# K-Means and SQL-equivalent assignment
# --------------------------------------------------------------------------------------------


def test_fit_kmeans_orders_clusters_and_labels_match_assign() -> None:
    X, y = blobs(4, seed=7, weights=[0.1, 0.4, 0.2, 0.3])
    model = cl.fit_kmeans(X, 4, seed=5)
    assert model.centroids.shape == (4, X.shape[1])
    assert list(model.sizes) == sorted(model.sizes, reverse=True)
    assert model.sizes.sum() == len(X)
    np.testing.assert_array_equal(model.labels, cl.assign(X, model.centroids))
    np.testing.assert_array_equal(model.cluster_ids, [1, 2, 3, 4])
    assert set(model.labels) == {1, 2, 3, 4}
    d2 = ((X - model.centroids[model.labels - 1]) ** 2).sum()
    assert model.inertia == pytest.approx(d2)
    assert adjusted_rand_score(y, model.labels) == pytest.approx(1.0)
    # Same partition from another seed -> the same cluster ids.
    np.testing.assert_array_equal(cl.fit_kmeans(X, 4, seed=99).labels, model.labels)


def test_assign_equals_sklearn_predict_on_transformed_profile() -> None:
    df = customer_profile(n=2000, seed=4)
    params = cl.fit_transform_params(df, CUSTOMER_FEATURES, CUSTOMER_LOG_FEATURES)
    X = cl.apply_transform(df, params)
    km = KMeans(n_clusters=5, n_init=3, random_state=0).fit(X)
    new_rows = cl.apply_transform(customer_profile(n=1500, seed=5), params)
    np.testing.assert_array_equal(cl.assign(new_rows, km.cluster_centers_) - 1, km.predict(new_rows))
    model = cl.fit_kmeans(X, 5, seed=0)
    km.cluster_centers_ = model.centroids.copy()
    np.testing.assert_array_equal(model.predict(new_rows) - 1, km.predict(new_rows))


def test_assign_breaks_ties_toward_the_lowest_id() -> None:
    centroids = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 5.0]])
    assert cl.assign(np.array([[0.0, 0.0], [0.9, 0.0], [-3.0, 0.0]]), centroids).tolist() == [1, 1, 2]


def test_sql_scoring_in_duckdb_matches_assign() -> None:
    duckdb = pytest.importorskip("duckdb")
    df = customer_profile(n=1500, seed=8)
    params = cl.fit_transform_params(df, CUSTOMER_FEATURES, CUSTOMER_LOG_FEATURES)
    model = cl.fit_kmeans(cl.apply_transform(df, params), 5, seed=0)
    centroids = cl.model_table(params, model)
    scoring = customer_profile(n=800, seed=9)  # new people, with nulls, scored from stored tables
    scoring.loc[:5, "order_count"] = -3.0  # a negative log feature is clipped to 0
    scoring.loc[6:9, "recency_days"] = np.nan
    long = scoring.melt(id_vars="person_id", value_vars=CUSTOMER_FEATURES, var_name="feature", value_name="x")
    con = duckdb.connect()
    con.register("profile_long", long)
    con.register("transform_params", params)
    con.register("centroids", centroids)
    scored = con.execute(
        """
        with z as (
            select
                p.person_id,
                t.feature,
                (case when t.use_log1p
                      then ln(1 + greatest(coalesce(p.x, t.median_fill), 0))
                      else coalesce(p.x, t.median_fill) end - t.mean) / t.std as z
            from profile_long as p
            inner join transform_params as t on p.feature = t.feature
        ),
        distances as (
            select z.person_id, c.cluster_id, sum((z.z - c.centroid_z) * (z.z - c.centroid_z)) as dist
            from z
            inner join centroids as c on z.feature = c.feature
            group by z.person_id, c.cluster_id
        )
        select person_id, cluster_id
        from distances
        qualify row_number() over (partition by person_id order by dist, cluster_id) = 1
        order by person_id
        """
    ).df()
    expected = cl.assign(cl.apply_transform(scoring, params), model.centroids)
    by_id = dict(zip(scoring["person_id"], expected, strict=True))
    assert len(scored) == len(scoring)
    assert scored["cluster_id"].tolist() == [by_id[p] for p in scored["person_id"]]


def test_model_table_is_long_and_complete() -> None:
    X, _ = blobs(3, n=600, p=4)
    params = cl.fit_transform_params(pd.DataFrame(X, columns=list("abcd")), list("abcd"))
    model = cl.fit_kmeans(X, 3, seed=0)
    table = cl.model_table(params, model)
    assert list(table.columns) == ["cluster_id", "feature", "position", "centroid_z"]
    assert len(table) == 12 and sorted(table["cluster_id"].unique()) == [1, 2, 3]
    wide = table.pivot(index="cluster_id", columns="position", values="centroid_z").to_numpy()
    np.testing.assert_array_equal(wide, model.centroids)
    assert (table.groupby("position")["feature"].nunique() == 1).all()


def test_segment_is_deterministic() -> None:
    df = customer_profile(n=2500, seed=11)
    kwargs = dict(k_min=2, k_max=6, seed=7)
    a = cl.segment(df, CUSTOMER_FEATURES, CUSTOMER_LOG_FEATURES, **kwargs)
    b = cl.segment(df, CUSTOMER_FEATURES, CUSTOMER_LOG_FEATURES, **kwargs)
    assert (a.k, a.reason) == (b.k, b.reason)
    for name in ("params", "centroids", "k_table", "hierarchy", "validation", "assignments"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.model.labels, b.model.labels)


# --------------------------------------------------------------------------------------------
# Hierarchy
# --------------------------------------------------------------------------------------------


def _partition(table: pd.DataFrame, level: int) -> set[frozenset[int]]:
    rows = table[table["level"] == level]
    return {frozenset(g["cluster_id"]) for _, g in rows.groupby("parent_id")}


def test_ward_hierarchy_nests_with_one_parent_per_level() -> None:
    rng = np.random.default_rng(2)
    k = 7
    centroids = rng.normal(size=(k, 5)) * 3
    sizes = rng.integers(50, 500, size=k)
    h = cl.ward_hierarchy(centroids, sizes)
    assert list(h.columns) == ["cluster_id", "level", "parent_id", "parent_size"]
    assert sorted(h["level"].unique()) == list(range(2, k + 1))
    for level, rows in h.groupby("level"):
        assert sorted(rows["cluster_id"]) == list(range(1, k + 1))  # exactly one parent per leaf
        assert sorted(rows["parent_id"].unique()) == list(range(1, level + 1))
        # Parents numbered by their smallest member cluster id.
        first_member = rows.groupby("parent_id")["cluster_id"].min().sort_index()
        assert first_member.is_monotonic_increasing
        # parent_size is the total size of the members.
        for _, g in rows.groupby("parent_id"):
            assert g["parent_size"].iloc[0] == sizes[g["cluster_id"].to_numpy() - 1].sum()
    top = h[h["level"] == k]
    assert (top["parent_id"] == top["cluster_id"]).all()
    for level in range(2, k):
        coarse, fine = _partition(h, level), _partition(h, level + 1)
        assert len(coarse) == level
        for group in fine:  # every finer group sits inside exactly one coarser group
            assert sum(group <= c for c in coarse) == 1
        # exactly one merge between consecutive levels
        assert len(fine - coarse) == 2 and len(coarse - fine) == 1


def test_ward_hierarchy_equals_ward_on_the_weighted_points() -> None:
    """Weighted Ward on centroids == scipy Ward on the rows, if every row sat on its centroid."""
    rng = np.random.default_rng(5)
    k = 6
    centroids = rng.normal(size=(k, 3)) * 4
    sizes = rng.integers(1, 7, size=k)
    h = cl.ward_hierarchy(centroids, sizes)
    points = np.repeat(centroids, sizes, axis=0)
    owner = np.repeat(np.arange(1, k + 1), sizes)
    tree = linkage(points, method="ward")
    for level in range(2, k + 1):
        flat = fcluster(tree, t=level, criterion="maxclust")
        expected = {frozenset(int(c) for c in np.unique(owner[flat == f])) for f in np.unique(flat)}
        assert _partition(h, level) == expected
    # Equal sizes: the same as scipy Ward on the centroids themselves.
    h_eq = cl.ward_hierarchy(centroids, np.full(k, 10))
    tree_eq = linkage(centroids, method="ward")
    for level in range(2, k + 1):
        flat = fcluster(tree_eq, t=level, criterion="maxclust")
        expected = {frozenset(np.flatnonzero(flat == f) + 1) for f in np.unique(flat)}
        assert _partition(h_eq, level) == expected


def test_ward_hierarchy_from_a_model_and_small_k() -> None:
    X, _ = blobs(3, n=600)
    model = cl.fit_kmeans(X, 3, seed=0)
    h = cl.ward_hierarchy(model)
    assert len(h) == 3 * 2
    assert cl.ward_hierarchy(model.centroids[:1], [5]).empty
    with pytest.raises(ValueError):
        cl.ward_hierarchy(model.centroids)


def test_ward_on_sample_agrees_with_kmeans_on_blobs() -> None:
    X, y = blobs(4, n=1500, seed=9)
    labels = cl.ward_on_sample(X, 4)
    assert sorted(np.unique(labels)) == [1, 2, 3, 4]
    assert adjusted_rand_score(y, labels) >= 0.95
    model = cl.fit_kmeans(X, 4, seed=0)
    assert cl.ward_kmeans_ari(X, model, seed=0, sample_size=1000) >= 0.95
    with pytest.raises(ValueError):
        cl.ward_on_sample(X, 4, max_rows=100)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def separated() -> tuple[np.ndarray, cl.KMeansModel]:
    X, _ = blobs(5, n=3000, seed=12)
    return X, cl.fit_kmeans(X, 5, seed=0)


@pytest.fixture(scope="module")
def noise() -> tuple[np.ndarray, cl.KMeansModel]:
    X = np.random.default_rng(0).uniform(size=(3000, 6))
    X = (X - X.mean(0)) / X.std(0)
    return X, cl.fit_kmeans(X, 5, seed=0)


def test_stability_metrics_high_for_separated_low_for_noise(separated, noise) -> None:
    Xs, ms = separated
    Xn, mn = noise
    s_sep = cl.seed_stability(Xs, 5, seeds=[0, 1, 2, 3])
    s_noise = cl.seed_stability(Xn, 5, seeds=[0, 1, 2, 3])
    assert s_sep["mean_ari"] >= 0.99 and s_sep["min_ari"] >= 0.99 and s_sep["n_runs"] == 4
    assert -1 <= s_noise["min_ari"] <= s_noise["mean_ari"] < 0.8
    h_sep, h_noise = cl.holdout_ari(Xs, 5, seed=1), cl.holdout_ari(Xn, 5, seed=1)
    assert h_sep >= 0.99 and h_noise < 0.7
    j_sep = cl.bootstrap_jaccard(Xs, 5, n_boot=8, seed=0, centroids=ms, sample_size=1500)
    j_noise = cl.bootstrap_jaccard(Xn, 5, n_boot=8, seed=0, centroids=mn, sample_size=1500)
    assert list(j_sep.columns) == ["cluster_id", "mean_jaccard", "min_jaccard", "dissolved_share", "n_boot"]
    assert j_sep["cluster_id"].tolist() == [1, 2, 3, 4, 5]
    assert (j_sep["mean_jaccard"] >= 0.95).all() and (j_sep["dissolved_share"] == 0).all()
    assert j_noise["mean_jaccard"].between(0, 1).all()
    assert j_noise["mean_jaccard"].mean() < 0.75
    # Without centroids the original partition is a fresh fit.
    assert len(cl.bootstrap_jaccard(Xs, 5, n_boot=3, seed=0, sample_size=800)) == 5
    with pytest.raises(ValueError):
        cl.seed_stability(Xs, 5, seeds=[0])


def test_validation_table_statuses(separated, noise) -> None:
    kwargs = dict(seed=0, n_seeds=3, n_boot=6, boot_sample=1000, stability_sample=2000, ward_sample=1000)
    ok = cl.validation_table(*separated, **kwargs)
    assert list(ok.columns) == ["metric", "cluster_id", "value", "threshold", "status"]
    assert str(ok["cluster_id"].dtype) == "Int64"
    expected_metrics = {
        "silhouette",
        "seed_stability_mean_ari",
        "seed_stability_min_ari",
        "holdout_ari",
        "ward_kmeans_ari",
        "bootstrap_jaccard",
        "cluster_share",
    }
    assert set(ok["metric"]) == expected_metrics
    assert ok.loc[ok["metric"] == "bootstrap_jaccard", "cluster_id"].tolist() == [1, 2, 3, 4, 5]
    assert ok.loc[ok["metric"] == "silhouette", "cluster_id"].isna().all()
    assert ok.loc[ok["metric"] == "cluster_share", "value"].sum() == pytest.approx(1.0)
    assert (ok["status"] == "ok").all(), ok
    bad = cl.validation_table(*noise, **kwargs)
    assert set(bad.loc[bad["status"] == "warn", "metric"]) >= {
        "silhouette",
        "holdout_ari",
        "bootstrap_jaccard",
    }
    strict = cl.validation_table(*separated, **kwargs, thresholds={"cluster_share": (0.5, "min")})
    assert (strict.loc[strict["metric"] == "cluster_share", "status"] == "warn").all()


def test_validation_values_are_in_range(noise) -> None:
    table = cl.validation_table(*noise, seed=3, n_seeds=2, n_boot=3, boot_sample=600, ward_sample=600)
    ari_like = table[table["metric"].str.contains("ari")]["value"]
    assert ari_like.between(-1, 1).all()
    assert table[table["metric"] == "bootstrap_jaccard"]["value"].between(0, 1).all()
    assert table[table["metric"] == "silhouette"]["value"].between(-1, 1).all()
    assert set(table["status"]) <= {"ok", "warn"}


# --------------------------------------------------------------------------------------------
# Segment contracts, informative features, data too small to cluster
# --------------------------------------------------------------------------------------------

CONTRACT_FEATURES = ["order_count", "recency_days", "tenure_days", "avg_order_value"]
CONTRACT_LOG = ["order_count", "tenure_days", "avg_order_value"]


def one_time_buyers(n: int = 1000, share: float = 0.75, seed: int = 0) -> pd.DataFrame:
    """A transactions-only shop where `share` of the people bought once (tenure 0)."""
    rng = np.random.default_rng(seed)
    once = rng.random(n) < share
    recency = rng.uniform(0, 700, n)
    return pd.DataFrame(
        {
            "person_id": [f"p{i:05d}" for i in range(n)],
            "order_count": np.where(once, 1, 2 + rng.poisson(3, n)).astype(float),
            "recency_days": recency,
            "tenure_days": np.where(once, 0.0, recency + rng.uniform(30, 500, n)),
            "avg_order_value": np.exp(rng.normal(3.5, 0.6, n)),
        }
    )


def test_k_rule_honours_the_max_share_contract_on_one_time_buyers() -> None:
    df = one_time_buyers()
    # Without the max-share contract Calinski-Harabasz splits one-time from repeat buyers:
    # k=2 with about three quarters of the people in one cluster.
    free = cl.segment(df, CONTRACT_FEATURES, CONTRACT_LOG, seed=1, validate=False)
    assert free.k == 2 and free.model.sizes.max() / len(df) > 0.7
    bound = cl.segment(df, CONTRACT_FEATURES, CONTRACT_LOG, seed=1, validate=False, max_cluster_share=0.6)
    shares = bound.model.sizes / len(df)
    assert bound.status == "fitted"
    assert shares.max() <= 0.6 and shares.min() >= cl.MIN_CLUSTER_SHARE
    row = bound.k_table.set_index("k")
    assert not row.loc[2, "chosen"] and row.loc[2, "max_cluster_share"] > 0.6
    assert "k=[2] excluded" in bound.reason
    # the chosen k is the best Calinski-Harabasz among the k that meet the contract
    ok = row[row["max_cluster_share"] <= 0.6]
    assert bound.k == int(ok["calinski_harabasz"].idxmax())


def test_no_k_meets_the_contracts_gives_a_recorded_fallback() -> None:
    rng = np.random.default_rng(3)
    # 85% of the people share one profile: every k keeps them together in one cluster.
    same = np.tile([1.0, 30.0], (850, 1))
    spread = np.column_stack([rng.integers(2, 30, 150), rng.uniform(40, 400, 150)])
    df = pd.DataFrame(np.vstack([same, spread]), columns=["order_count", "avg_order_value"])
    result = cl.segment(
        df, ["order_count", "avg_order_value"], k_max=6, seed=0, validate=False, max_cluster_share=0.6
    )
    assert result.status == "fallback"
    assert result.reason.startswith("fallback: no k in 2..6 meets the segment contracts")
    assert result.model.sizes.max() / len(df) >= 0.85
    # the fallback k has the smallest largest cluster among the k whose smallest is large enough
    table = result.k_table
    eligible = table[table["min_cluster_share"] >= cl.MIN_CLUSTER_SHARE]
    assert result.k == int(eligible.sort_values(["max_cluster_share", "k"])["k"].iloc[0])


def test_meets_contracts_reads_both_bounds() -> None:
    table = pd.DataFrame(
        {"k": [2, 3, 4], "min_cluster_share": [0.3, 0.005, 0.1], "max_cluster_share": [0.7, 0.5, 0.4]}
    )
    assert cl.meets_contracts(table, 0.01).tolist() == [True, False, True]
    assert cl.meets_contracts(table, 0.01, 0.6).tolist() == [False, False, True]
    k, reason = cl.choose_k(
        table.assign(
            wcss=[3.0, 2.0, 1.0], silhouette=0.3, calinski_harabasz=[9.0, 8.0, 7.0], davies_bouldin=1.0
        ),
        max_cluster_share=0.6,
    )
    assert k == 4 and "k=[2, 3] excluded" in reason


def test_feature_information_rules() -> None:
    n = 1000
    df = pd.DataFrame(
        {
            "varied": np.arange(n, dtype=float),
            "zeros": np.zeros(n),  # e.g. sessions_90d without web events
            "mostly_null": np.where(np.arange(n) < 960, np.nan, 1.0 * np.arange(n)),
            "dominant": np.where(np.arange(n) < 992, 0.0, 1.0),  # 99.2% one value
            "almost": np.where(np.arange(n) < 980, 0.0, 1.0),  # 98%: still informative
        }
    )
    info = fi.feature_information(df, list(df.columns)).set_index("feature")
    assert info["reason"].to_dict() == {
        "varied": "informative",
        "zeros": "constant",
        "mostly_null": "mostly_null",
        "dominant": "dominant_value",
        "almost": "informative",
    }
    assert info["is_informative"].to_dict() == {
        "varied": True,
        "zeros": False,
        "mostly_null": False,
        "dominant": False,
        "almost": True,
    }
    assert fi.feature_information(df.iloc[0:0], ["varied"])["reason"].tolist() == ["no_rows"]
    assert fi.column_information(df["varied"], source_rows=0)["reason"] == "no_rows"
    with pytest.raises(KeyError, match="typo"):
        fi.feature_information(df, ["typo"])


def test_feature_information_limits_equal_the_warehouse_macro() -> None:
    """dq_feature_coverage (macros/quality/feature_coverage.sql) applies the same limits; its
    verdicts on built data are checked against fi.column_information in test_real_export_shapes."""
    import re
    from pathlib import Path

    macro = (Path(__file__).resolve().parents[2] / "macros/quality/feature_coverage.sql").read_text()
    limits = dict(re.findall(r"'(max_null_share|min_distinct_values|max_top_value_share)': ([0-9.]+)", macro))
    assert {k: float(v) for k, v in limits.items()} == {
        "max_null_share": fi.MAX_NULL_SHARE,
        "min_distinct_values": fi.MIN_DISTINCT,
        "max_top_value_share": fi.MAX_TOP_VALUE_SHARE,
    }


def _job_profile(n: int = 600, seed: int = 0) -> pd.DataFrame:
    df = one_time_buyers(n, seed=seed)
    df["sessions_90d"] = 0.0  # no web events at all
    df["email_open_rate"] = np.nan  # no email events
    return df


def _job_config(**kw) -> cluster_job.ClusterConfig:
    base = dict(
        features=CONTRACT_FEATURES + ["sessions_90d", "email_open_rate"],
        log_features=CONTRACT_LOG + ["sessions_90d"],
        k_min=2,
        k_max=6,
        seed=1,
        validate=False,
        max_cluster_share=0.6,
    )
    return cluster_job.ClusterConfig(**{**base, **kw})


def _run_text(frame: pd.DataFrame, metric: str) -> str:
    rows = frame[(frame["artifact"] == "run") & (frame["metric"] == metric)]
    return str(rows["text_value"].iloc[0])


def test_uninformative_features_are_left_out_of_the_fit_and_reported() -> None:
    out = cluster_job.fit_cluster_artifacts(_job_profile(), _job_config())
    fitted = out.loc[out["artifact"] == "transform", "feature"].unique().tolist()
    assert sorted(fitted) == sorted(CONTRACT_FEATURES)
    sel = out[(out["artifact"] == "feature_selection") & (out["metric"] == "reason")]
    assert dict(zip(sel["feature"], sel["text_value"], strict=True)) == {
        **{f: "informative" for f in CONTRACT_FEATURES},
        "sessions_90d": "constant",
        "email_open_rate": "mostly_null",
    }
    assert _run_text(out, "fit_status") == "fitted"
    assert "left out as uninformative: sessions_90d, email_open_rate" in _run_text(out, "status_reason")
    shares = out[(out["artifact"] == "k_selection") & (out["metric"] == "max_cluster_share")]
    chosen = out[(out["artifact"] == "k_selection") & (out["metric"] == "chosen") & (out["value"] == 1)]
    assert shares.set_index("k").loc[int(chosen["k"].iloc[0]), "value"] <= 0.6


@pytest.mark.parametrize(
    ("profile", "why"),
    [
        (_job_profile().iloc[0:0], "no eligible people"),
        (_job_profile().iloc[:1], "only 1 eligible people"),
        (_job_profile().iloc[:3], "only 3 eligible people"),
        (
            _job_profile().assign(order_count=1.0, recency_days=5.0, tenure_days=0.0, avg_order_value=20.0),
            "no clustering feature carries information",
        ),
    ],
    ids=["nobody", "one person", "three people", "all identical"],
)
def test_data_too_small_to_cluster_is_not_fitted_with_a_reason(profile, why) -> None:
    out = cluster_job.fit_or_reuse(profile, _job_config(), None)
    assert set(out["artifact"]) == {"feature_selection", "run"}
    assert _run_text(out, "fit_status") == "not_fitted"
    assert why in _run_text(out, "status_reason")
    # the next build on the same data adds the same version again, no traceback
    again = cluster_job.fit_or_reuse(profile, _job_config(), out)
    assert again["model_version"].unique().tolist() == out["model_version"].unique().tolist()


def test_fewer_distinct_profiles_than_k_caps_the_range() -> None:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"person_id": [f"p{i}" for i in range(300)]})
    df["order_count"] = rng.choice([1.0, 5.0, 20.0], 300)  # three distinct profiles
    reason, k_high = cluster_job.unfit_reason(df, ["order_count"], _job_config(features=["order_count"]))
    assert reason is None and k_high == 3
    out = cluster_job.fit_cluster_artifacts(df, _job_config(features=["order_count"], log_features=[]))
    assert out.loc[out["artifact"] == "centroid", "cluster_id"].nunique() <= 3
    assert "k range capped at 3" in _run_text(out, "status_reason")


def test_a_fallback_fit_is_never_the_reference_of_the_next_refit() -> None:
    profile = _job_profile()
    first = cluster_job.fit_cluster_artifacts(profile, _job_config())
    assert _run_text(first, "fit_status") == "fitted"
    tight = cluster_job.fit_cluster_artifacts(profile, _job_config(max_cluster_share=0.05), first)
    assert _run_text(tight, "fit_status") == "fallback"
    assert _run_text(tight, "status_reason").startswith("fallback:")
    third = cluster_job.fit_cluster_artifacts(profile, _job_config(seed=2), pd.concat([first, tight]))
    previous = third[(third["artifact"] == "matching") & (third["metric"] == "previous_model_version")]
    assert previous["text_value"].iloc[0] == first["model_version"].iloc[0]


def test_refit_with_another_informative_feature_set_is_a_feature_change() -> None:
    profile = _job_profile()
    first = cluster_job.fit_cluster_artifacts(profile, _job_config())
    # sessions now carry information: auto refits, the new model uses them
    active = profile.assign(sessions_90d=np.random.default_rng(1).poisson(4, len(profile)).astype(float))
    added = cluster_job.fit_or_reuse(active, _job_config(refit="auto"), first)
    assert "sessions_90d" in set(added.loc[added["artifact"] == "transform", "feature"])
    # without a refit the stored (reduced) model keeps scoring: its features are all configured
    assert cluster_job.fit_or_reuse(active, _job_config(refit=False), first).empty
    with pytest.raises(ValueError, match="not all in cluster_features"):
        cluster_job.fit_or_reuse(profile, _job_config(refit=False, features=["order_count"]), first)
