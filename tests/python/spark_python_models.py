"""What a Databricks submission of the project's Python models does, on a local SparkSession.

dbt-spark (and dbt-databricks) do not run Python models in the dbt process: they submit each
one to a cluster, which calls the model's `model(dbt, spark)` with `dbt.ref` returning
`spark.table(...)` and writes the returned frame (pandas is accepted) as the model's table
(docs/engines.md). Locally there is no cluster, so this module does that part itself:

- `run_python_model` loads the model's file, calls `model(dbt, session)` with a
  `audience.dbt_frames.LocalDbt` (ref/source -> the built Spark table, `config.get` from the
  manifest, `this`, `is_incremental` false as on every engine but DuckDB) and writes the
  returned pandas frame as the model's Parquet table, as dbt-spark's Python materialization
  does (`spark.createDataFrame(pandas)` then `saveAsTable`, overwriting);
- `build_on_spark` builds the whole project on local Spark in DAG order: `dbt build` of what
  the next Python model needs (Python models excluded), the Python model itself, and at the
  end `dbt build` of everything left (the models downstream, the Python models' data tests).

`dbt build --target spark` never runs a Python model itself here: every dbt call excludes them.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audience.dbt_frames import LocalDbt, LocalRelation

PROJECT_DIR = Path(__file__).resolve().parents[2]


@dataclass
class SparkBuild:
    """What `build_on_spark` ran: each step's name, return code, seconds and output tail."""

    steps: list[tuple[str, int, float, str]] = field(default_factory=list)
    results: list[dict] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)  # the project as `dbt parse` read it
    python_models: list[str] = field(default_factory=list)  # unique ids, run by the harness

    @property
    def ok(self) -> bool:
        return all(rc == 0 for _, rc, _, _ in self.steps)

    def failures(self) -> list[str]:
        return [f"{name} (exit {rc}):\n{out}" for name, rc, _, out in self.steps if rc != 0]


def _ancestors(nodes: dict[str, dict]) -> dict[str, set[str]]:
    """Every model's ancestors among the models (direct and indirect)."""
    found: dict[str, set[str]] = {}

    def of(key: str) -> set[str]:
        if key not in found:
            direct = {p for p in nodes[key]["depends_on"]["nodes"] if p in nodes}
            found[key] = set(direct)
            for parent in direct:
                found[key] |= of(parent)
        return found[key]

    for key in nodes:
        of(key)
    return found


def python_rounds(manifest: dict) -> list[list[dict]]:
    """The Python models in rounds: a model's round comes after every round holding a Python
    model upstream of it (directly or through SQL models), so each round runs once the SQL
    models it needs are built."""
    nodes = {k: v for k, v in manifest["nodes"].items() if v["resource_type"] == "model"}
    ancestors = _ancestors(nodes)
    python = sorted(k for k, v in nodes.items() if v["language"] == "python")
    level: dict[str, int] = {}

    def level_of(key: str) -> int:
        if key not in level:
            level[key] = max((level_of(p) + 1 for p in ancestors[key] if p in python), default=0)
        return level[key]

    rounds: list[list[dict]] = [[] for _ in range(max(map(level_of, python), default=-1) + 1)]
    for key in python:
        rounds[level_of(key)].append(nodes[key])
    return rounds


def _relation_names(manifest: dict) -> dict[str, str]:
    """Model, seed and snapshot name (and source table) -> `schema.identifier` on Spark."""
    names = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] in ("model", "seed", "snapshot"):
            names[node["name"]] = f"{node['schema']}.{node['alias']}"
    for source in manifest["sources"].values():
        names[source["name"]] = f"{source['schema']}.{source['identifier']}"
    return names


def _load_model_function(project_dir: Path, node: dict):
    path = project_dir / node["original_file_path"]
    spec = importlib.util.spec_from_file_location(f"dbt_python_model_{node['name']}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.model


def run_python_model(session: Any, manifest: dict, node: dict, project_dir: Path) -> int:
    """Call the node's `model(dbt, session)` and write its result as the node's table; rows written."""
    names = _relation_names(manifest)

    def relation_name(name: str) -> str:
        if name not in names:
            raise KeyError(f"{node['name']}: {name!r} is not a model, seed or source of the manifest")
        return names[name]

    this = LocalRelation(node["schema"], node["alias"])
    dbt = LocalDbt(session, relation_name, config=node["config"], this=this)
    result = _load_model_function(project_dir, node)(dbt, session)
    frame = session.createDataFrame(result) if not hasattr(result, "write") else result
    frame.write.mode("overwrite").format("parquet").saveAsTable(str(this))
    return frame.count()


def _dbt(args: list[str], env: dict[str, str], project_dir: Path, work: Path) -> tuple[int, str]:
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), *args, "--target", "spark",
         "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
         "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        env=env, cwd=project_dir, capture_output=True, text=True,
    )
    return proc.returncode, (proc.stdout + proc.stderr)[-6000:]


def build_on_spark(env: dict[str, str], project_dir: Path, work: Path) -> SparkBuild:
    """The whole project on local Spark, Python models run as a Databricks submission would.

    Per round of Python models: `dbt build` of the SQL models they need that are not built
    yet (Python models excluded), then the round's models in one Python process with its own
    SparkSession (the Hive metastore is an embedded Derby database, which one process holds
    at a time). At the end `dbt build` of everything else, then `dbt test` of the data tests
    not run yet: the Python models' own, and those whose parents were built in different rounds.
    """
    build = SparkBuild()

    def record(name: str, rc: int, start: float, out: str) -> bool:
        build.steps.append((name, rc, time.monotonic() - start, out))
        return rc == 0

    def dbt_step(name: str, args: list[str]) -> bool:
        start = time.monotonic()
        # a test runs in the round that builds the last of its parents
        extra = ["--indirect-selection", "buildable"] if args[0] == "build" else []
        rc, out = _dbt(args + extra, env, project_dir, work)
        results = work / "target" / "run_results.json"
        if args[0] in ("build", "test") and results.exists():
            build.results += json.loads(results.read_text())["results"]
            results.unlink()
        return record(name, rc, start, out)

    if not dbt_step("dbt parse", ["parse"]):
        return build
    manifest = json.loads((work / "target" / "manifest.json").read_text())
    rounds = python_rounds(manifest)
    python = [n["name"] for batch in rounds for n in batch]
    build.manifest, build.python_models = manifest, [n["unique_id"] for batch in rounds for n in batch]
    built: list[str] = []  # selectors of what is built
    for batch in rounds:
        wanted = [f"+{n['name']}" for n in batch]
        if not dbt_step(f"dbt build {' '.join(wanted)}",
                        ["build", "--select", *wanted, "--exclude", *python, *built]):
            return build
        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "tests.python.spark_python_models", str(work / "target" / "manifest.json"),
             *[n["name"] for n in batch]],
            env=env, cwd=project_dir, capture_output=True, text=True,
        )
        if not record(f"python models {' '.join(n['name'] for n in batch)}", proc.returncode, start,
                      (proc.stdout + proc.stderr)[-6000:]):
            return build
        built += wanted
    dbt_step("dbt build (every other node)", ["build", "--exclude", *python, *built])
    # the Python models' data tests, and tests whose parents were built in different rounds
    # (no single `dbt build` above selected all their parents)
    ran = {r["unique_id"] for r in build.results}
    left = sorted(n["name"] for uid, n in manifest["nodes"].items()
                  if uid.startswith("test.") and uid not in ran)
    if left:
        dbt_step("dbt test (the data tests not run yet)", ["test", "--select", *left])
    return build


def copy_from_duckdb(session: Any, db_path: str, tables: dict[str, str]) -> None:
    """Write DuckDB tables (`main.<name>`) as Spark Parquet tables (`name -> schema.identifier`)."""
    import duckdb

    con = duckdb.connect(db_path, read_only=True)
    try:
        for name, target in tables.items():
            schema = target.split(".")[0]
            session.sql(f"create database if not exists {schema}")
            # an Arrow table keeps the column types (pandas would make a DATE a timestamp and an
            # integer column with nulls a double)
            frame = session.createDataFrame(con.sql(f'select * from main."{name}"').to_arrow_table())
            frame.write.mode("overwrite").format("parquet").saveAsTable(target)
    finally:
        con.close()


def main(argv: list[str]) -> int:
    """`python -m tests.python.spark_python_models MANIFEST MODEL...`: run the named Python
    models, in the order given, on a local SparkSession of the profile's metastore.
    With `--from-duckdb DB` first, the SQL models they read are copied from that DuckDB
    warehouse first (tests of the Python models alone). `--copy DB MANIFEST NAME...` only
    copies the named tables from DuckDB (tests of a part of the DAG on DuckDB's inputs)."""
    from audience.spark_load import spark_session

    if argv[0] == "--copy":
        names = _relation_names(json.loads(Path(argv[2]).read_text()))
        session = spark_session()
        try:
            copy_from_duckdb(session, argv[1], {name: names[name] for name in argv[3:]})
        finally:
            session.stop()
        return 0
    duckdb_path = None
    if argv[0] == "--from-duckdb":
        duckdb_path, argv = argv[1], argv[2:]
    manifest = json.loads(Path(argv[0]).read_text())
    nodes = {n["name"]: n for batch in python_rounds(manifest) for n in batch}
    session = spark_session()
    try:
        if duckdb_path:
            names = _relation_names(manifest)
            parents = {p.split(".")[-1] for name in argv[1:] for p in nodes[name]["depends_on"]["nodes"]}
            copy_from_duckdb(session, duckdb_path, {p: names[p] for p in sorted(parents - set(nodes))})
        for name in argv[1:]:
            start = time.monotonic()
            rows = run_python_model(session, manifest, nodes[name], PROJECT_DIR)
            print(f"{name}: {rows} rows in {time.monotonic() - start:.0f}s")
    finally:
        session.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
