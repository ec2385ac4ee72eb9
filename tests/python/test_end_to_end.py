"""End to end: `dbt build` (models, data tests, unit tests) on generated data."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_demo_build_passes_and_fills_the_marts(demo_build):
    assert "ERROR=0" in demo_build.output
    n_profiles = demo_build.query("select count(*) from customer_profiles")[0][0]
    assert n_profiles > 2000
    n_clusters = demo_build.query("select count(*) from customer_clusters")[0][0]
    # profiles also hold CRM customers without an order; only buyers are clustered (cluster_min_orders)
    n_buyers = demo_build.query("select count(*) from customer_profiles where order_count >= 1")[0][0]
    assert n_clusters == n_buyers


def test_transactions_only_folder_builds_end_to_end(transactions_only_build):
    run = transactions_only_build
    assert run.returncode == 0, run.output[-8000:]
    assert run.query("select count(*) from raw.web_events")[0][0] == 0
    assert run.query("select count(*) from customer_profiles")[0][0] > 2000
    # no behaviour data: engagement features are zero, not null
    assert run.query("select max(sessions_90d) from customer_profiles")[0][0] == 0
