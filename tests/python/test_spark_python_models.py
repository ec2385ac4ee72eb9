"""The Python models on local Spark, and the marts of both engines compared (`make test-spark`).

Two builds of the same 200 generated customers:

- DuckDB: the default `dbt build`.
- Spark: the Python models alone, run as a Databricks submission runs them
  (tests/python/spark_python_models.py): `model(dbt, spark)` with `dbt.ref` returning Spark
  tables that hold exactly what the DuckDB build gave the same model, the returned frame
  written as the model's table. Every Python model's table equals DuckDB's row for row, so the
  fits, scores and personas are the same code path on both engines, reading refs through
  `audience.dbt_frames`.
- Spark, the whole project from the raw tables (`build_on_spark`: SQL models, seeds, the
  snapshot, every data test and dbt unit test by `dbt build --target spark`, the Python models
  in between), whose marts are compared with DuckDB's row for row (COMPARED_MARTS: profiles,
  RFM, clusters, scores, rule, predictive and trigger memberships, the reconciliation); and
  `audience export` writes the same activation files from the Spark tables.

Skipped in the plain `make test` (AUDIENCE_TEST_SPARK unset).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.python.conftest import DBT, PROJECT_DIR, comparable_frame, generate, run_dbt_ok
from tests.python.spark_python_models import build_on_spark, python_rounds

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(
        os.environ.get("AUDIENCE_TEST_SPARK") != "1",
        reason="runs under `make test-spark` (AUDIENCE_TEST_SPARK=1, needs the spark extra and Java)",
    ),
]


def without_timings(frame: pd.DataFrame) -> pd.DataFrame:
    """cluster_fit's run record says how long each step took (`timings_s` in the metrics
    JSON): wall-clock, not what the fit computed, so it is left out of the comparison."""
    if "metric" not in frame.columns:
        return frame
    frame = frame.copy()
    rows = (frame["artifact"] == "run") & (frame["metric"] == "metrics")
    frame.loc[rows, "text_value"] = [
        json.dumps({k: v for k, v in json.loads(t).items() if k != "timings_s"}, sort_keys=True)
        for t in frame.loc[rows, "text_value"]
    ]
    return frame


def spark_env(spark_dir: Path, raw: Path, exports: Path) -> dict[str, str]:
    return {
        **os.environ,
        "AUDIENCE_SPARK_DIR": str(spark_dir),
        "AUDIENCE_RAW_PATH": str(raw),
        "AUDIENCE_EXPORT_PATH": str(exports),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PYTHONPATH": str(PROJECT_DIR),
    }


def spark_tables(spark_dir: Path, queries: dict[str, str]) -> dict[str, pd.DataFrame]:
    """Run SQL on a local Spark warehouse in a separate process (the embedded metastore is
    held by one process at a time) and return the results as pandas."""
    out = spark_dir.parent / f"read_{time.monotonic_ns()}"
    out.mkdir()
    script = (
        "import json, sys\n"
        "from audience.spark_load import spark_session\n"
        "s = spark_session()\n"
        "for name, sql in json.loads(sys.argv[1]).items():\n"
        "    s.sql(sql).toPandas().to_pickle(f'{sys.argv[2]}/{name}.pkl')\n"
        "s.stop()\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, json.dumps(queries), str(out)],
                          env=spark_env(spark_dir, out, out), cwd=PROJECT_DIR, capture_output=True, text=True)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    return {name: pd.read_pickle(out / f"{name}.pkl") for name in queries}


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("xengine_raw") / "raw"
    generate(raw, n_customers=200, seed=3)
    return raw


@pytest.fixture(scope="module")
def duckdb_build(tmp_path_factory, raw_dir):
    work = tmp_path_factory.mktemp("xengine_duckdb")
    start = time.monotonic()
    run = run_dbt_ok("dbt build on DuckDB", ["build", "--vars", "{bi_publish: false}"], raw_dir,
                     work / "audience.duckdb", work, {"AUDIENCE_EXPORT_PATH": str(work / "exports")})
    print(f"\nduckdb: dbt build {time.monotonic() - start:.0f}s")
    return run, work / "exports"


@pytest.fixture(scope="module")
def spark_manifest(tmp_path_factory, raw_dir) -> tuple[Path, dict]:
    work = tmp_path_factory.mktemp("xengine_parse")
    proc = subprocess.run(
        [DBT, "parse", "--target", "spark", "--project-dir", str(PROJECT_DIR),
         "--profiles-dir", str(PROJECT_DIR), "--target-path", str(work / "target"),
         "--log-path", str(work / "logs")],
        env=spark_env(work / "spark", raw_dir, work / "exports"), cwd=PROJECT_DIR,
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    path = work / "target" / "manifest.json"
    return path, json.loads(path.read_text())


PYTHON_MODELS = ["churn_fit", "cluster_fit", "clv_fit", "customer_churn_scores", "customer_clv_scores",
                 "segment_personas"]


@pytest.fixture(scope="module")
def python_models_on_spark(tmp_path_factory, raw_dir, duckdb_build, spark_manifest):
    """Each round of Python models run on Spark with the tables DuckDB gave them."""
    run, _ = duckdb_build
    manifest_path, manifest = spark_manifest
    spark_dir = tmp_path_factory.mktemp("xengine_py") / "spark"
    start = time.monotonic()
    for batch in python_rounds(manifest):
        proc = subprocess.run(
            [sys.executable, "-m", "tests.python.spark_python_models", "--from-duckdb", str(run.db_path),
             str(manifest_path), *[n["name"] for n in batch]],
            env=spark_env(spark_dir, raw_dir, spark_dir.parent / "exports"), cwd=PROJECT_DIR,
            capture_output=True, text=True,
        )
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-8000:]
    print(f"\nspark: the Python models on DuckDB's inputs {time.monotonic() - start:.0f}s")
    schema = {n["name"]: n["schema"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    return spark_tables(spark_dir, {m: f"select * from {schema[m]}.{m}" for m in PYTHON_MODELS})


def test_the_harness_runs_every_python_model(spark_manifest):
    _, manifest = spark_manifest
    assert sorted(n["name"] for batch in python_rounds(manifest) for n in batch) == PYTHON_MODELS


@pytest.mark.parametrize("model", PYTHON_MODELS)
def test_python_model_on_spark_equals_duckdb(model, python_models_on_spark, duckdb_build):
    run, _ = duckdb_build
    on_duckdb = run.df(f"select * from main.{model}")
    on_spark = python_models_on_spark[model]
    assert len(on_duckdb) > 0
    assert sorted(on_spark.columns) == sorted(on_duckdb.columns)
    pd.testing.assert_frame_equal(comparable_frame(without_timings(on_spark)),
                                  comparable_frame(without_timings(on_duckdb)), check_dtype=False)


# marts compared row for row between the two whole builds (every column)
COMPARED_MARTS = ["customer_profiles", "int_customer_rfm", "customer_clusters", "customer_scores",
                  "rule_segment_members", "predictive_segment_members", "trigger_segment_members",
                  "segment_membership", "dq_reconciliation"]


@pytest.fixture(scope="module")
def spark_full_build(tmp_path_factory, raw_dir):
    """The whole project on local Spark (build_on_spark), then `audience export` from it."""
    work = tmp_path_factory.mktemp("xengine_spark")
    env = spark_env(work / "spark", raw_dir, work / "exports")
    start = time.monotonic()
    load = subprocess.run([sys.executable, "-m", "audience.spark_load", "--raw", str(raw_dir)],
                          env=env, cwd=PROJECT_DIR, capture_output=True, text=True)
    assert load.returncode == 0, (load.stdout + load.stderr)[-6000:]
    build = build_on_spark(env, PROJECT_DIR, work)
    export = subprocess.run(
        [sys.executable, "-m", "audience.cli", "export", "--target", "spark", "--out", str(work / "exports")],
        env=env, cwd=PROJECT_DIR, capture_output=True, text=True,
    )
    steps = ", ".join(f"{name} {secs:.0f}s" for name, _, secs, _ in build.steps)
    print(f"\nspark: whole project {time.monotonic() - start:.0f}s ({steps})")
    tables = spark_tables(work / "spark", {t: f"select * from audience.{t}" for t in COMPARED_MARTS}) \
        if build.ok else {}
    return build, export, work / "exports", tables


def test_whole_project_builds_on_spark(spark_full_build):
    build, _, _, _ = spark_full_build
    assert build.ok, "\n\n".join(build.failures())
    failed = [f"{r['unique_id']}: {r['status']}: {(r.get('message') or '')[:800]}" for r in build.results
              if r["status"] not in ("success", "pass") and not r["unique_id"].startswith("exposure.")]
    assert not failed, "\n".join(failed)
    built = {r["unique_id"] for r in build.results}
    assert "snapshot.audience.segment_membership_snapshot" in built
    assert "model.audience.segment_transitions" in built
    # every SQL model, seed, snapshot, data test and dbt unit test of the project ran through
    # dbt (and passed, above); the Python models ran through the harness
    nodes = [*build.manifest["nodes"], *build.manifest["unit_tests"]]
    for kind in ("model", "seed", "snapshot", "test", "unit_test"):
        expected = {uid for uid in nodes if uid.startswith(kind + ".")} - set(build.python_models)
        assert expected, kind
        assert expected <= built, f"{kind} not run on Spark: {sorted(expected - built)[:10]}"


@pytest.mark.parametrize("table", COMPARED_MARTS)
def test_marts_equal_across_engines(table, spark_full_build, duckdb_build):
    build, _, _, tables = spark_full_build
    assert build.ok, "the Spark build failed (test_whole_project_builds_on_spark)"
    run, _ = duckdb_build
    on_duckdb = run.df(f"select * from main.{table}")
    assert len(on_duckdb) > 0
    assert sorted(tables[table].columns) == sorted(on_duckdb.columns)
    pd.testing.assert_frame_equal(
        comparable_frame(tables[table]), comparable_frame(on_duckdb), check_dtype=False
    )


def test_audience_export_from_spark_writes_the_duckdb_files(spark_full_build, duckdb_build):
    build, export, spark_exports, _ = spark_full_build
    assert build.ok and export.returncode == 0, (export.stdout + export.stderr)[-4000:]
    _, duckdb_exports = duckdb_build
    on_duckdb = sorted(p.relative_to(duckdb_exports) for p in duckdb_exports.rglob("members_*.*"))
    on_spark = sorted(p.relative_to(spark_exports) for p in spark_exports.rglob("members_*.*"))
    assert on_duckdb and on_spark == on_duckdb
    for rel in on_duckdb:
        if rel.suffix == ".csv":
            assert (spark_exports / rel).read_bytes() == (duckdb_exports / rel).read_bytes(), rel


# the SQL models built on Spark from DuckDB's tables (everything they read is copied from the
# DuckDB build, e.g. cluster_fit, the stored cluster model that customer_clusters scores with)
DOWNSTREAM_NODES = [
    "cluster_model_history", "cluster_model", "customer_clusters", "int_segment_rule_population",
    "rule_segment_members", "trigger_segment_members", "export_crm_email_csv", "export_crm_email_parquet",
    "export_ad_audiences_csv", "export_ad_audiences_parquet", "export_manifest",
    "segment_membership_snapshot", "segment_transitions",
]
DOWNSTREAM_COMPARED = ["customer_clusters", "rule_segment_members", "trigger_segment_members"]


def inputs_of(manifest: dict, selected: list[str]) -> list[str]:
    """What the selected nodes and their data tests read that is not selected itself."""
    read: set[str] = set()
    for node in manifest["nodes"].values():
        parents = {p.split(".")[-1] for p in node.get("depends_on", {}).get("nodes", [])}
        if node["name"] in selected or (node["resource_type"] == "test" and parents & set(selected)):
            read |= parents
    return sorted(read - set(selected))


@pytest.fixture(scope="module")
def downstream_on_spark(tmp_path_factory, raw_dir, duckdb_build, spark_manifest):
    """DOWNSTREAM_NODES built by `dbt build --target spark` on DuckDB's inputs, then
    `audience export` from the Spark tables."""
    run, _ = duckdb_build
    manifest_path, manifest = spark_manifest
    work = tmp_path_factory.mktemp("xengine_downstream")
    env = spark_env(work / "spark", raw_dir, work / "exports")
    start = time.monotonic()
    copy = subprocess.run(
        [sys.executable, "-m", "tests.python.spark_python_models", "--copy", str(run.db_path),
         str(manifest_path), *inputs_of(manifest, DOWNSTREAM_NODES)], env=env, cwd=PROJECT_DIR,
        capture_output=True, text=True)
    assert copy.returncode == 0, (copy.stdout + copy.stderr)[-6000:]
    build = subprocess.run(
        [DBT, "build", "--target", "spark", "--select", *DOWNSTREAM_NODES, "--project-dir", str(PROJECT_DIR),
         "--profiles-dir", str(PROJECT_DIR), "--target-path", str(work / "target"),
         "--log-path", str(work / "logs")],
        env=env, cwd=PROJECT_DIR, capture_output=True, text=True)
    export = subprocess.run(
        [sys.executable, "-m", "audience.cli", "export", "--target", "spark", "--out", str(work / "exports")],
        env=env, cwd=PROJECT_DIR, capture_output=True, text=True)
    seconds = time.monotonic() - start
    print(f"\nspark: {len(DOWNSTREAM_NODES)} downstream models on DuckDB's inputs {seconds:.0f}s")
    read = ["export_manifest", "segment_membership_snapshot", "segment_transitions", *DOWNSTREAM_COMPARED]
    tables = spark_tables(work / "spark", {t: f"select * from audience.{t}" for t in read}) \
        if build.returncode == 0 else {}
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    return build, results, export, work / "exports", tables


def test_downstream_models_build_on_spark(downstream_on_spark):
    build, results, export, _, _ = downstream_on_spark
    failed = [f"{r['unique_id']}: {r['status']}: {(r.get('message') or '')[:800]}" for r in results
              if r["status"] not in ("success", "pass")]
    assert not failed and build.returncode == 0, "\n".join(failed) or (build.stdout + build.stderr)[-6000:]
    built = {r["unique_id"].split(".")[-1] for r in results}
    assert set(DOWNSTREAM_NODES) <= built
    assert export.returncode == 0, (export.stdout + export.stderr)[-4000:]


def test_audience_export_on_spark_writes_the_duckdb_files(downstream_on_spark, duckdb_build):
    _, _, export, spark_exports, tables = downstream_on_spark
    assert export.returncode == 0, (export.stdout + export.stderr)[-4000:]
    _, duckdb_exports = duckdb_build
    on_duckdb = sorted(p.relative_to(duckdb_exports) for p in duckdb_exports.rglob("members_*.*"))
    on_spark = sorted(p.relative_to(spark_exports) for p in spark_exports.rglob("members_*.*"))
    assert on_duckdb and on_spark == on_duckdb
    for rel in on_duckdb:
        if rel.suffix == ".csv":
            assert (spark_exports / rel).read_bytes() == (duckdb_exports / rel).read_bytes(), rel
        else:
            written = pq.read_table(spark_exports / rel).to_pylist()
            assert written == pq.read_table(duckdb_exports / rel).to_pylist(), rel
    # the manifest names the same files with the same counts (paths under each build's folder)
    def files(rows: pd.DataFrame, root: Path) -> list[tuple]:
        return sorted((r.destination, r.file_format, r.segment, int(r.row_count),
                       str(Path(r.file_path).relative_to(root))) for r in rows.itertuples())
    duckdb_manifest = pd.read_csv(duckdb_exports / "manifest.csv")
    assert files(tables["export_manifest"], spark_exports) == files(duckdb_manifest, duckdb_exports)
    written_manifest = pd.read_csv(spark_exports / "manifest.csv")
    assert files(written_manifest, spark_exports) == files(duckdb_manifest, duckdb_exports)


def test_snapshot_on_spark_holds_the_duckdb_spells(downstream_on_spark, duckdb_build):
    """One snapshot run on each engine from the same membership: the same open spells, and
    segment_transitions reads it into the same initial entries (times are each run's own)."""
    _, _, _, _, tables = downstream_on_spark
    run, _ = duckdb_build
    clock = {"dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to"}
    on_duckdb = run.df("select * from main.segment_membership_snapshot")
    snapshot = tables["segment_membership_snapshot"]
    assert len(on_duckdb) > 0 and snapshot["dbt_valid_to"].isna().all()
    pd.testing.assert_frame_equal(comparable_frame(snapshot, clock), comparable_frame(on_duckdb, clock),
                                  check_dtype=False)
    transitions = ["person_id", "segment_type", "segment_name", "transition", "is_initial_load", "reason",
                   "as_of_date"]
    on_duckdb_transitions = run.df("select * from main.segment_transitions")[transitions]
    pd.testing.assert_frame_equal(comparable_frame(tables["segment_transitions"][transitions]),
                                  comparable_frame(on_duckdb_transitions), check_dtype=False)


@pytest.mark.parametrize("table", DOWNSTREAM_COMPARED)
def test_segments_from_the_same_inputs_equal_across_engines(table, downstream_on_spark, duckdb_build):
    """Cluster assignments scored on Spark from DuckDB's stored cluster model (cluster_fit),
    rule and trigger memberships from the same profiles and scores: DuckDB's rows."""
    build, _, _, _, tables = downstream_on_spark
    assert build.returncode == 0, (build.stdout + build.stderr)[-4000:]
    run, _ = duckdb_build
    on_duckdb = run.df(f"select * from main.{table}")
    assert len(on_duckdb) > 0
    assert sorted(tables[table].columns) == sorted(on_duckdb.columns)
    pd.testing.assert_frame_equal(
        comparable_frame(tables[table]), comparable_frame(on_duckdb), check_dtype=False
    )
