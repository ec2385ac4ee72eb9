"""The project on local Spark (docs/engines.md): `make test-spark`.

A small generated dataset is loaded into a local Spark warehouse by the documented loader
(`python -m audience.spark_load`), `dbt build --target spark --selector spark_core` builds
what builds on Spark today (selectors.yml) with its data tests and unit tests, and the same raw
folder built on DuckDB gives the same staged, deduplicated, identity, customer (profiles, RFM),
trigger and quality tables, row for row.

Needs the `spark` extra and a Java runtime, which `make test-spark` installs; in the plain
`make test` run this module is skipped (AUDIENCE_TEST_SPARK unset).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.python.conftest import DBT, PROJECT_DIR, comparable_frame, generate, run_dbt_ok

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(
        os.environ.get("AUDIENCE_TEST_SPARK") != "1",
        reason="runs under `make test-spark` (AUDIENCE_TEST_SPARK=1, needs the spark extra and Java)",
    ),
]

SELECTOR = "spark_core"
# tables compared row for row between the DuckDB and the Spark build of the same raw folder
COMPARED = [
    "stg_shop__orders",
    "stg_shop__order_items",
    "stg_crm__customers",
    "stg_crm__consent_events",
    "stg_web__events",
    "stg_email__events",
    "stg_survey__responses",
    "int_orders_deduplicated",
    "int_customers_deduplicated",
    "int_web_events_deduplicated",
    "int_web_sessions_daily",
    "int_identities_stitched",
    "int_order_items_deduplicated",
    "int_consent_events_deduplicated",
    "int_email_events_deduplicated",
    "int_survey_responses_deduplicated",
    "int_identity_edges",
    "int_order_currencies",
    "int_order_revenue",
    "int_customer_activity",
    "int_customer_consent",
    "int_customer_rfm",
    "customer_ids",
    "customer_profiles",
    "segment_trigger_events",
    "dq_quarantine",
    "dq_duplicates",
    "dq_reconciliation",
]


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("spark_raw") / "raw"
    generate(raw, n_customers=200, seed=3)
    return raw


@pytest.fixture(scope="module")
def spark_build(tmp_path_factory, raw_dir):
    """Load raw_dir into a fresh local Spark warehouse and `dbt build` the spark_core selector."""
    work = tmp_path_factory.mktemp("spark_build")
    env = {
        **os.environ,
        "AUDIENCE_SPARK_DIR": str(work / "spark"),
        "AUDIENCE_RAW_PATH": str(raw_dir),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    start = time.monotonic()
    load = subprocess.run(
        [sys.executable, "-m", "audience.spark_load", "--raw", str(raw_dir)],
        env=env, cwd=PROJECT_DIR, capture_output=True, text=True,
    )
    if load.returncode != 0:
        pytest.fail("loading the raw tables into Spark failed:\n" + (load.stdout + load.stderr)[-8000:])
    loaded = time.monotonic()
    build = subprocess.run(
        [DBT, "build", "--target", "spark", "--selector", SELECTOR,
         "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
         "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        env=env, cwd=PROJECT_DIR, capture_output=True, text=True,
    )
    done = time.monotonic()
    # the duration is reported, never asserted (docs/engines.md records it)
    print(f"\nspark: load {loaded - start:.0f}s, dbt build --selector {SELECTOR} {done - loaded:.0f}s")
    results = json.loads((work / "target" / "run_results.json").read_text())["results"] \
        if (work / "target" / "run_results.json").exists() else []
    return {"work": work, "proc": build, "results": results}


@pytest.fixture(scope="module")
def duckdb_build(tmp_path_factory, raw_dir):
    """The same raw folder and selector on DuckDB."""
    work = tmp_path_factory.mktemp("spark_duckdb")
    return run_dbt_ok("dbt build on DuckDB",
                      ["build", "--selector", SELECTOR, "--vars", "{bi_publish: false}"],
                      raw_dir, work / "audience.duckdb", work)


@pytest.fixture(scope="module")
def spark_session(spark_build):
    from audience.spark_load import spark_session as make_session

    session = make_session(str(spark_build["work"] / "spark"))
    yield session
    session.stop()


def _selected(resource_type: str) -> set[str]:
    """Names of the selector's nodes of one resource type, from `dbt ls` on DuckDB."""
    out = subprocess.run(
        [DBT, "ls", "--selector", SELECTOR, "--resource-type", resource_type, "--output", "name",
         "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR), "--quiet"],
        cwd=PROJECT_DIR, capture_output=True, text=True, check=True,
    )
    return {line.strip() for line in out.stdout.splitlines() if line.strip()}


def test_spark_core_builds_and_passes_its_tests(spark_build):
    proc, results = spark_build["proc"], spark_build["results"]
    # every model, seed, data test and unit test must pass; the exposure is a no-op node
    failed = [
        f"{r['unique_id']}: {r['status']}: {(r.get('message') or '')[:1500]}"
        for r in results
        if r["status"] not in ("success", "pass") and not r["unique_id"].startswith("exposure.")
    ]
    assert not failed, "\n".join(failed)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-8000:]
    by_type: dict[str, list[dict]] = {}
    for r in results:
        by_type.setdefault(r["unique_id"].split(".")[0], []).append(r)
    built = {r["unique_id"].split(".")[-1] for r in by_type.get("model", [])}
    assert set(COMPARED) <= built
    assert sorted(r["unique_id"] for r in by_type.get("seed", [])) == [
        "seed.audience.country_codes", "seed.audience.currency_rates"]
    # every model, data test and unit test of the selector ran, none was skipped
    assert built == _selected("model")
    assert len(by_type.get("test", [])) == len(_selected("test")) > 0
    assert len(by_type.get("unit_test", [])) == len(_selected("unit_test")) > 0


@pytest.mark.parametrize("table", COMPARED)
def test_spark_tables_equal_duckdb_row_for_row(table, spark_build, duckdb_build, spark_session):
    assert spark_build["proc"].returncode == 0
    on_duckdb = comparable_frame(duckdb_build.df(f"select * from main.{table}"))
    on_spark = comparable_frame(spark_session.table(f"audience.{table}").toPandas())
    assert len(on_duckdb) > 0
    assert list(on_spark.columns) == list(on_duckdb.columns)
    pd.testing.assert_frame_equal(on_spark, on_duckdb, check_dtype=False)


def test_to_pandas_reads_spark_and_duckdb_frames(spark_session):
    import duckdb

    from audience.dbt_frames import LocalDbt, to_pandas

    expected = pd.DataFrame({"x": [1, 2]})
    relation = duckdb.connect().sql("select * from (values (1), (2)) as t(x)")
    assert to_pandas(relation).equals(expected.astype(relation.df().dtypes.to_dict()))
    dbt = LocalDbt(spark_session, lambda name: f"audience.{name}")
    frame = to_pandas(dbt.ref("stg_shop__orders"))
    assert len(frame) == spark_session.table("audience.stg_shop__orders").count() > 0
    with pytest.raises(TypeError, match="list"):
        to_pandas([1, 2])
    # a DECIMAL becomes the float64 DuckDB gives, not an object column of Decimal values
    sql = "select cast(x as decimal(38, 9)) as amount from (values (1.125), (2.5), (null)) as t(x)"
    on_spark, on_duckdb = to_pandas(spark_session.sql(sql)), to_pandas(duckdb.sql(sql))
    assert on_spark["amount"].dtype == on_duckdb["amount"].dtype == "float64"
    pd.testing.assert_frame_equal(on_spark, on_duckdb)
