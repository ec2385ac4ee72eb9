"""Degenerate exports build end to end: a header-only orders file and an export where every
order was cancelled. The default `dbt build` passes with no error and no skipped node;
clustering, CLV and churn say they were not fitted and why, and no score is published in place
of a fit. Every raw row is still accounted for.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.python.conftest import generate, run_dbt

pytestmark = pytest.mark.e2e


def _summary(output: str) -> dict[str, int]:
    done = re.findall(r"Done\. PASS=(\d+) WARN=(\d+) ERROR=(\d+) SKIP=(\d+)", output)
    assert done, output[-3000:]
    return dict(zip(["pass", "warn", "error", "skip"], map(int, done[-1]), strict=True))


def _header_only_orders(raw) -> None:
    """Customers and an orders file holding only its header; no other source."""
    orders = pd.read_csv(raw / "orders.csv", dtype=str, keep_default_na=False)
    orders.iloc[0:0].to_csv(raw / "orders.csv", index=False)
    for path in raw.glob("*.csv"):
        if path.stem not in ("orders", "customers"):
            path.unlink()


def _cancelled_only(raw) -> None:
    """Every order cancelled (status cancelled, its total kept): nobody bought anything."""
    orders = pd.read_csv(raw / "orders.csv", dtype=str, keep_default_na=False)
    orders["status"] = "cancelled"
    orders.to_csv(raw / "orders.csv", index=False)


SHAPES = {"header_only_orders": _header_only_orders, "cancelled_only": _cancelled_only}


@pytest.fixture(scope="module", params=sorted(SHAPES))
def degenerate(request, tmp_path_factory):
    work = tmp_path_factory.mktemp(request.param)
    raw = work / "raw"
    generate(raw, n_customers=60, seed=3)
    SHAPES[request.param](raw)
    run = run_dbt(["build"], raw, work / "audience.duckdb", work)
    return request.param, run


def test_build_passes_with_no_skipped_node(degenerate):
    shape, run = degenerate
    summary = _summary(run.output)
    assert run.returncode == 0, f"{shape}:\n{run.output[-6000:]}"
    assert (summary["error"], summary["skip"]) == (0, 0), shape


def test_models_say_they_were_not_fitted(degenerate):
    shape, run = degenerate
    (status, reason) = run.query(
        "select fit_status, status_reason from cluster_model_history where is_current"
    )[0]
    assert status == "not_fitted" and reason.startswith("not fitted"), (shape, status, reason)
    gates = run.df("select model_name, gate, status, detail from model_quality_gates")
    fitted = gates[gates["gate"] == "fitted"].set_index("model_name")
    assert set(fitted.index) >= {"clv", "churn"}, gates.to_string()
    assert (fitted["status"] == "not_fitted").all(), gates.to_string()
    assert fitted["detail"].str.startswith("not fitted").all(), gates.to_string()
    assert gates["status"].isin(["not_fitted", "not_checked"]).all(), gates.to_string()
    assert run.query("select count(*) from customer_scores") == [(0,)]
    assert run.query("select count(*) from segment_membership where segment_type = 'predictive'") == [(0,)]


def test_every_raw_row_is_accounted_for(degenerate):
    shape, run = degenerate
    broken = run.query(
        "select source from dq_reconciliation "
        "where not is_reconciled or unaccounted_rows != 0"
    )
    assert broken == [], (shape, broken)
