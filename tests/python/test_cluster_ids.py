"""Stable cluster ids across refits (audience.cluster_ids, audience.cluster_job) on simulated data.

The profiles are drawn from known groups (well separated blobs in original units, two of the
three features log-scaled), so "the same group" is known: a stable id must follow the group's
true centre, whatever number the refit gives it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audience import churn, cluster_ids, cluster_job, clustering

FEATURES = ["order_count", "avg_order_value", "discount_share"]
LOG_FEATURES = ["order_count", "avg_order_value"]
CENTRES = {
    "loyal": (20.0, 150.0, 0.05),
    "deal": (8.0, 30.0, 0.45),
    "lapsed": (2.0, 120.0, 0.02),
    "new": (1.0, 40.0, 0.10),
    "whale": (60.0, 900.0, 0.01),
}


def _profiles(sizes: dict[str, int], seed: int, start: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for group, n in sizes.items():
        oc, aov, ds = CENTRES[group]
        frames.append(
            pd.DataFrame(
                {
                    "group": group,
                    "order_count": np.maximum(1, np.round(oc * rng.lognormal(0, 0.15, n))),
                    "avg_order_value": aov * rng.lognormal(0, 0.15, n),
                    "discount_share": np.clip(ds + rng.normal(0, 0.03, n), 0, 1),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "person_id", [f"p{start + i:06d}" for i in range(len(out))])
    return out


def _config(**kw) -> cluster_job.ClusterConfig:
    base = dict(features=FEATURES, log_features=LOG_FEATURES, k_min=2, k_max=6, seed=1, validate=False)
    return cluster_job.ClusterConfig(**{**base, **kw})


def _group_of_ids(artifacts: pd.DataFrame, profile: pd.DataFrame) -> dict[int, str]:
    """Stable id -> true group, by labelling `profile` with the version in `artifacts`."""
    transform, centroids = cluster_job.stored_model(artifacts, artifacts["model_version"].iloc[0])
    wide = centroids.pivot(index="cluster_id", columns="feature", values="centroid_z")[FEATURES]
    labels = wide.index.to_numpy()[
        clustering.assign(clustering.apply_transform(profile, transform), wide) - 1
    ]
    table = pd.crosstab(labels, profile["group"])
    assert (table.max(axis=1) / table.sum(axis=1)).min() > 0.98, table  # clusters = groups
    return {int(c): str(table.loc[c].idxmax()) for c in table.index}


def _history(*frames: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True)


def _meta(artifacts: pd.DataFrame, metric: str):
    rows = artifacts[(artifacts["artifact"] == "matching") & (artifacts["metric"] == metric)]
    return rows["text_value"].iloc[0] if metric == "previous_model_version" else float(rows["value"].iloc[0])


def _statuses(artifacts: pd.DataFrame) -> dict[int, str]:
    rows = artifacts[(artifacts["artifact"] == "matching") & (artifacts["metric"] == "status")]
    return dict(zip(rows["cluster_id"].astype(int), rows["text_value"], strict=True))


SIZES = {"loyal": 300, "deal": 500, "lapsed": 400, "new": 700}


def test_first_fit_numbers_clusters_by_size_and_marks_them_new():
    profile = _profiles(SIZES, seed=1)
    first = cluster_job.fit_cluster_artifacts(profile, _config())
    groups = _group_of_ids(first, profile)
    assert groups == {1: "new", 2: "deal", 3: "lapsed", 4: "loyal"}
    assert set(_statuses(first).values()) == {"new"}
    assert np.isnan(_meta(first, "ari_vs_previous"))


def test_refit_with_another_seed_keeps_every_id():
    profile = _profiles(SIZES, seed=1)
    first = cluster_job.fit_cluster_artifacts(profile, _config(seed=1))
    second = cluster_job.fit_cluster_artifacts(profile, _config(seed=99), _history(first))
    assert second["model_version"].iloc[0] != first["model_version"].iloc[0]
    assert _group_of_ids(second, profile) == _group_of_ids(first, profile)
    assert set(_statuses(second).values()) == {"matched"}
    assert _meta(second, "ari_vs_previous") == pytest.approx(1.0)
    assert _meta(second, "share_changed_vs_previous") == 0.0


def test_ids_follow_the_groups_when_sizes_reorder_and_the_scaler_changes():
    """The second fit numbers the clusters differently (sizes reversed) and standardizes with
    other means and deviations; the stable ids still follow the true groups."""
    profile = _profiles(SIZES, seed=1)
    first = cluster_job.fit_cluster_artifacts(profile, _config())
    reordered = _profiles({"loyal": 900, "deal": 200, "lapsed": 600, "new": 250}, seed=2, start=10_000)
    second = cluster_job.fit_cluster_artifacts(reordered, _config(), _history(first))
    fit_ids = second[(second["artifact"] == "matching") & (second["metric"] == "fit_cluster_id")]
    assert (fit_ids["value"].astype(int) != fit_ids["cluster_id"].astype(int)).any(), "not a real reordering"
    t1, _ = cluster_job.stored_model(first, first["model_version"].iloc[0])
    t2, _ = cluster_job.stored_model(second, second["model_version"].iloc[0])
    assert not np.allclose(t1["mean"], t2["mean"], atol=1e-3)
    assert _group_of_ids(second, reordered) == _group_of_ids(first, profile)
    assert set(_statuses(second).values()) == {"matched"}


def test_new_group_gets_a_new_id_and_a_dropped_group_is_reported_vanished():
    profile = _profiles(SIZES, seed=1)
    first = cluster_job.fit_cluster_artifacts(profile, _config(fixed_k=4))
    before = _group_of_ids(first, profile)
    changed = _profiles({"loyal": 300, "deal": 500, "new": 700, "whale": 350}, seed=3)
    second = cluster_job.fit_cluster_artifacts(changed, _config(fixed_k=4), _history(first))
    after = _group_of_ids(second, changed)
    inverse = {g: c for c, g in before.items()}
    for group in ("loyal", "deal", "new"):
        assert after[inverse[group]] == group
    whale_id = next(c for c, g in after.items() if g == "whale")
    assert whale_id == 5  # the next unused id, never a recycled one
    statuses = _statuses(second)
    assert statuses[whale_id] == "new"
    assert statuses[inverse["lapsed"]] == "vanished"
    assert sorted(statuses.values()) == ["matched", "matched", "matched", "new", "vanished"]


def test_ten_percent_new_people_keep_at_least_95_percent_of_old_ids():
    profile = _profiles(SIZES, seed=1)
    first = cluster_job.fit_cluster_artifacts(profile, _config())
    extra = _profiles({g: n // 10 for g, n in SIZES.items()}, seed=4, start=50_000)
    grown = pd.concat([profile, extra], ignore_index=True)
    second = cluster_job.fit_cluster_artifacts(grown, _config(), _history(first))
    assert 1 - _meta(second, "share_changed_vs_previous") >= 0.95
    assert _group_of_ids(second, grown) == _group_of_ids(first, profile)


def test_the_same_fit_again_is_not_stored_twice_and_becomes_current():
    profile = _profiles(SIZES, seed=1)
    a = cluster_job.fit_cluster_artifacts(profile, _config(seed=1))
    b = cluster_job.fit_cluster_artifacts(profile, _config(seed=2), _history(a))
    again = cluster_job.fit_cluster_artifacts(profile, _config(seed=1), _history(a, b))
    assert set(again["model_version"]) == set(a["model_version"])
    sequences = cluster_job.version_sequences(_history(b, again))
    assert sequences[a["model_version"].iloc[0]] == 3.0


def test_no_refit_adds_nothing_and_refuses_a_model_with_other_features():
    profile = _profiles(SIZES, seed=1)
    first = cluster_job.fit_cluster_artifacts(profile, _config())
    assert cluster_job.fit_or_reuse(profile, _config(refit=False), first).empty
    assert not cluster_job.fit_or_reuse(profile, _config(refit=False), None).empty  # first build fits
    with pytest.raises(ValueError, match="cluster_refit is false"):
        cluster_job.fit_or_reuse(profile, _config(refit=False, features=FEATURES[:2]), first)


def test_original_units_round_trip_through_another_transform():
    profile = _profiles(SIZES, seed=1)
    t1 = clustering.fit_transform_params(profile, FEATURES, LOG_FEATURES)
    t2 = clustering.fit_transform_params(profile.iloc[::3], FEATURES, LOG_FEATURES)
    z1 = np.array([[0.5, -1.0, 2.0], [-0.3, 0.2, 0.0]])
    cents = clustering.model_table(t1, z1).rename(columns={})
    original = cluster_ids.original_centroids(t1, cents)
    ids, back = cluster_ids.standardize_original(original, t1)
    np.testing.assert_allclose(back, z1, atol=1e-12)
    ids2, in_t2 = cluster_ids.standardize_original(original, t2)
    # the same points, expressed with the other scaler
    raw = original.pivot(index="cluster_id", columns="feature", values="centroid_original")[FEATURES]
    np.testing.assert_allclose(in_t2, clustering.apply_transform(raw.reset_index(), t2), atol=1e-12)
    assert list(ids) == list(ids2) == [1, 2]


def test_match_rejects_pairs_farther_than_max_distance():
    new = np.array([[0.0, 0.0], [5.0, 5.0]])
    prev = np.array([[0.1, 0.0], [-5.0, 5.0]])
    result = cluster_ids.match_clusters(new, np.array([3, 7]), prev, next_id=8, max_distance=1.0)
    assert result.stable_id == {1: 3, 2: 8}
    table = result.table.set_index("cluster_id")
    assert table.loc[3, "status"] == "matched" and table.loc[3, "centroid_distance"] == pytest.approx(0.1)
    assert table.loc[8, "status"] == "new" and table.loc[7, "status"] == "vanished"


def test_persona_names_follow_ids_and_new_names_do_not_collide():
    current = pd.DataFrame(
        {"cluster_id": [1, 2, 5], "persona_name": ["Deal hunters", "Loyalists", "Loyalists"]}
    )
    previous = pd.DataFrame(
        {"cluster_id": [1, 2, 3], "persona_name": ["Bargain fans", "Loyalists", "Lapsed"]}
    )
    out = cluster_ids.keep_persona_names(current, previous)
    assert out["persona_name"].tolist() == ["Bargain fans", "Loyalists", "Loyalists 2"]
    assert cluster_ids.keep_persona_names(current, None).equals(current)


def test_feature_bins_and_psi():
    profile = _profiles(SIZES, seed=1)
    t = clustering.fit_transform_params(profile, FEATURES, LOG_FEATURES)
    bins = cluster_ids.feature_bins(profile, t)
    for _, rows in bins.groupby("feature"):
        assert rows["fit_share"].sum() == pytest.approx(1.0)
        assert rows["upper_edge"].iloc[-1] != rows["upper_edge"].iloc[-1]  # last bin open (NaN)
    aov = bins[bins["feature"] == "avg_order_value"]
    assert len(aov) == 10 and np.allclose(aov["fit_share"], 0.1, atol=0.002)  # continuous: deciles
    assert cluster_ids.population_stability_index([0.5, 0.5], [0.5, 0.5]) == 0.0
    # a known value: 0.1*ln(0.6/0.5) + (-0.1)*ln(0.4/0.5)
    assert cluster_ids.population_stability_index([0.5, 0.5], [0.6, 0.4]) == pytest.approx(
        0.1 * np.log(1.2) - 0.1 * np.log(0.8)
    )


def test_churn_top_contributions_name_the_features_that_move_the_probability():
    def predict(X):
        return 1 / (1 + np.exp(-(2.0 * X[:, 0] - 1.0 * X[:, 2])))

    X = np.array([[2.0, 5.0, 0.0], [0.0, -3.0, 2.0], [0.0, 9.0, 0.0]])
    baseline = np.zeros(3)
    contrib = churn.feature_contributions(predict, X, baseline)
    assert np.allclose(contrib[:, 1], 0.0)  # feature 1 does not enter the model
    assert contrib[0, 0] > 0 and contrib[1, 2] < 0
    texts = churn.top_contributions(predict, X, ["recency", "noise", "sessions"], baseline, top=2)
    assert texts[0].startswith("recency +0.48")
    assert texts[1].startswith("sessions -0.38")
    assert texts[2] == "none"


def test_auto_refit_only_when_the_population_drifts():
    profile = _profiles(SIZES, seed=1)
    first = cluster_job.fit_cluster_artifacts(profile, _config())
    version = first["model_version"].iloc[0]
    same = cluster_job.drift_figures(profile, first, version)
    assert same["mean_squared_distance_ratio"] == pytest.approx(1.0)
    assert max(v for k, v in same.items() if k.startswith("psi:")) == pytest.approx(0.0, abs=1e-12)
    assert cluster_job.fit_or_reuse(profile, _config(refit="auto"), first).empty

    # a fresh draw of the same groups: small PSI, no refit
    redraw = _profiles(SIZES, seed=5, start=20_000)
    figures = cluster_job.drift_figures(redraw, first, version)
    assert not cluster_job.refit_due(figures, _config())
    assert cluster_job.fit_or_reuse(redraw, _config(refit="auto"), first).empty

    # the mix moves to big spenders: avg_order_value shifts, a refit is due and happens
    shifted = _profiles({"loyal": 300, "deal": 100, "lapsed": 100, "new": 100, "whale": 900}, seed=6)
    figures = cluster_job.drift_figures(shifted, first, version)
    assert figures["psi:avg_order_value"] > 0.2
    added = cluster_job.fit_or_reuse(shifted, _config(refit="auto"), first)
    assert not added.empty and added["model_version"].iloc[0] != version
    with pytest.raises(ValueError, match="true, false or auto"):
        cluster_job.fit_or_reuse(profile, _config(refit="sometimes"), first)
