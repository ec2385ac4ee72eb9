"""Acceptance checks of the cluster segments and predictive scores on generated data.

The generator draws customers from known latent types with buy-till-you-die purchase timing,
so the build's segments and scores can be compared with the truth it wrote to _truth/.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from tests.python.conftest import run_dbt

pytestmark = pytest.mark.e2e


def _truth(run) -> pd.DataFrame:
    return pd.read_parquet(run.raw_dir / "_truth" / "customers.parquet")


def _clusters_with_truth(run) -> pd.DataFrame:
    clusters = run.df(
        """
        select ids.identifier as customer_id, clusters.person_id, clusters.cluster_id
        from customer_clusters as clusters
        inner join int_identities_stitched as ids
            on ids.person_id = clusters.person_id and ids.identifier_type = 'customer_id'
        """
    )
    truth = _truth(run)[["customer_id", "person_id", "latent_type"]].rename(
        columns={"person_id": "true_person"}
    )
    merged = clusters.merge(truth, on="customer_id")
    # one row per stitched person: the latent type of (any of) its customer ids
    return merged.sort_values("customer_id").drop_duplicates("person_id")


def test_chosen_k_equals_the_number_of_latent_types(demo_build):
    n_types = _truth(demo_build)["latent_type"].nunique()
    chosen = demo_build.query("select k from cluster_k_selection where is_chosen")
    assert chosen == [(n_types,)]


def test_clusters_recover_the_latent_types(demo_build):
    merged = _clusters_with_truth(demo_build)
    assert len(merged) > 2000
    ari = adjusted_rand_score(merged["latent_type"], merged["cluster_id"])
    assert ari >= 0.8, f"adjusted Rand index against the truth is {ari:.3f}"


def test_persona_names_are_unique_and_cover_every_cluster(demo_build):
    personas = demo_build.df("select cluster_id, persona_name, share from segment_personas")
    k = demo_build.query("select k from cluster_k_selection where is_chosen")[0][0]
    assert sorted(personas["cluster_id"]) == list(range(1, k + 1))
    assert personas["persona_name"].is_unique
    assert abs(personas["share"].sum() - 1) < 1e-9


def test_every_clustered_person_has_one_parent_per_level(demo_build):
    k = demo_build.query("select k from cluster_k_selection where is_chosen")[0][0]
    rows = demo_build.query(
        "select person_id, count(*), count(distinct level) from customer_cluster_levels group by person_id"
    )
    n_clustered = demo_build.query("select count(*) from customer_clusters")[0][0]
    assert len(rows) == n_clustered
    assert all(n == k - 1 and d == k - 1 for _, n, d in rows)


def test_rebuild_gives_identical_labels(demo_build, tmp_path):
    """A second build of the same data into a fresh warehouse gives the same rows, bit for bit:
    profiles, cluster labels and model version, persona names and scores."""
    db_copy = tmp_path / "again.duckdb"
    run = run_dbt(
        ["build", "--select", "+segment_personas", "+customer_scores", "--indirect-selection", "cautious"],
        demo_build.raw_dir,
        db_copy,
        tmp_path,
    )
    assert run.returncode == 0, run.output[-5000:]
    for sql in (
        "select person_id, cluster_id, model_version from customer_clusters order by person_id",
        "select cluster_id, persona_name, size from segment_personas order by cluster_id",
        "select * from customer_profiles order by person_id",
        "select * from customer_scores order by person_id",
    ):
        assert run.query(sql) == demo_build.query(sql), sql


def test_clv_holdout_total_within_ten_percent(demo_build):
    ((predicted, actual, n),) = demo_build.query(
        """
        select predicted_purchases, actual_purchases, n_customers
        from clv_holdout_calibration where frequency_bucket = 'total'
        """
    )
    assert n > 1000
    assert abs(predicted - actual) / actual <= 0.10, (predicted, actual)


def test_churn_model_beats_the_recency_baseline(demo_build):
    rows = dict(demo_build.query("select model, auc from churn_model_comparison"))
    selected = demo_build.query("select model from churn_model_comparison where is_selected")[0][0]
    assert rows[selected] >= rows["recency_baseline"] + 0.03, rows
    assert rows[selected] > 0.7


def test_scores_are_probabilities_and_non_negative_values(demo_build):
    (bad,) = demo_build.query(
        """
        select count(*) from customer_scores
        where churn_probability not between 0 and 1 or p_alive not between 0 and 1
           or clv < 0 or expected_purchases < 0 or expected_avg_order_value < 0
        """
    )[0]
    assert bad == 0
    assert demo_build.query("select count(*) from customer_scores")[0][0] > 2000


def test_model_runs_record_every_model(demo_build):
    models = {r[0] for r in demo_build.query("select model_name from model_runs")}
    assert models == {"kmeans_segments", "bgnbd_gamma_gamma", "churn_classifier"}
    versions = demo_build.query("select distinct model_version from customer_clusters")
    assert versions[0][0] in {r[0] for r in demo_build.query("select model_version from model_runs")}


def test_transactions_only_build_scores_and_clusters(transactions_only_build):
    run = transactions_only_build
    assert run.returncode == 0, run.output[-8000:]
    assert run.query("select count(*) from customer_scores")[0][0] > 2000
    assert run.query("select count(*) from customer_clusters")[0][0] > 2000
    assert run.query("select count(*) from segment_personas")[0][0] >= 2


def test_missing_required_source_names_the_file(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "customers.csv").write_text("customer_id\nc1\n")
    run = run_dbt(["build"], raw, tmp_path / "a.duckdb", tmp_path)
    assert run.returncode != 0
    assert "shop.orders" in run.output and "orders.csv" in run.output
    shutil.rmtree(raw)
