"""Shared fixtures: generated raw data and dbt builds in temporary folders.

The end-to-end fixtures run the real `dbt build` (in a subprocess, as a user would) against a
temporary DuckDB file, so the dbt data tests and unit tests run as part of pytest.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
DBT = str(Path(sys.executable).with_name("dbt"))


@dataclass
class DbtRun:
    """The result of one `dbt` invocation against a temporary warehouse."""

    raw_dir: Path
    db_path: Path
    target_dir: Path
    returncode: int
    output: str

    def query(self, sql: str) -> list[tuple]:
        con = duckdb.connect(str(self.db_path), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def df(self, sql: str):
        con = duckdb.connect(str(self.db_path), read_only=True)
        try:
            return con.execute(sql).df()
        finally:
            con.close()


def run_dbt(
    args: list[str],
    raw_dir: Path,
    db_path: Path,
    work_dir: Path,
    extra_env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> DbtRun:
    """Run `dbt <args>` on the project with raw files from raw_dir into the DuckDB file db_path.

    Target and logs go to work_dir, which is also the working directory unless `cwd` is given
    (the export views hold paths relative to the directory of the build that wrote them).
    """
    target_dir = work_dir / "target"
    env = {
        **os.environ,
        "AUDIENCE_RAW_PATH": str(raw_dir),
        "AUDIENCE_DUCKDB_PATH": str(db_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **(extra_env or {}),
    }
    cmd = [
        DBT,
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(target_dir),
        "--log-path",
        str(work_dir / "logs"),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=cwd or work_dir)
    return DbtRun(raw_dir, db_path, target_dir, proc.returncode, proc.stdout + proc.stderr)


def run_dbt_ok(
    what: str,
    args: list[str],
    raw_dir: Path,
    db_path: Path,
    work_dir: Path,
    extra_env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> DbtRun:
    """run_dbt that fails the test with the end of dbt's output when dbt exits non-zero;
    `what` names the step in the failure message ("<what> failed:")."""
    run = run_dbt(args, raw_dir, db_path, work_dir, extra_env, cwd)
    if run.returncode != 0:
        pytest.fail(f"{what} failed:\n" + run.output[-8000:])
    return run


#: the moments of a load and of a build: they differ between any two builds of the same data
BUILD_MOMENTS = ("_loaded_at", "_written_at")


def comparable_frame(frame: pd.DataFrame, drop: frozenset[str] = frozenset()) -> pd.DataFrame:
    """A table read from any engine, in a form two engines' copies compare equal in: nulls as
    None, numbers as floats rounded to 9 significant digits, timestamps as ISO text, columns
    sorted, rows in a fixed order; `drop` and the BUILD_MOMENTS columns left out."""

    def value(v):
        if v is None or v is pd.NaT or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            return None
        if isinstance(v, bool):
            return v
        if isinstance(v, Decimal | int | float):
            return float(f"{float(v):.9g}")
        if hasattr(v, "isoformat") and not isinstance(v, str):
            return pd.Timestamp(v).isoformat()
        return v

    out = frame.drop(columns=[c for c in frame.columns if c in drop or c in BUILD_MOMENTS])
    out = out.astype(object).map(value)
    out = out[sorted(out.columns)]
    return out.sort_values(list(out.columns), key=lambda s: s.astype(str)).reset_index(drop=True)


def table_differences(incremental: Path, fresh: Path, table: str) -> tuple[int, int, int, int]:
    """Compare `table` in two warehouses: rows only in `incremental`, rows only in `fresh`
    (`except all` both ways) and both row counts. Load and write times (`_loaded_at`,
    `_written_at`) differ by construction and are left out; columns are taken by name in
    `fresh`'s order, so a table
    that gained columns by `on_schema_change` compares by name, not position."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{incremental}' as inc (read_only)")
        con.execute(f"attach '{fresh}' as ful (read_only)")
        cols = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns "
                f"where table_catalog = 'ful' and table_name = '{table}' "
                f"and column_name not in {BUILD_MOMENTS!r} "
                "order by ordinal_position"
            ).fetchall()
        ]
        select = ", ".join(cols)
        a = f"(select {select} from inc.main.{table})"
        b = f"(select {select} from ful.main.{table})"
        only_inc = con.execute(f"select count(*) from ({a} except all {b})").fetchone()[0]
        only_full = con.execute(f"select count(*) from ({b} except all {a})").fetchone()[0]
        n_inc = con.execute(f"select count(*) from {a}").fetchone()[0]
        n_full = con.execute(f"select count(*) from {b}").fetchone()[0]
        return only_inc, only_full, n_inc, n_full
    finally:
        con.close()


def generate(out_dir: Path, n_customers: int, seed: int = 7, **kwargs) -> dict[str, int]:
    from audience import synth

    return synth.generate(n_customers, seed=seed, out_dir=out_dir, **kwargs)


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> DbtRun:
    """Generated data for every source (with injected mess), built once with `dbt build`."""
    work = tmp_path_factory.mktemp("demo")
    raw = work / "raw"
    generate(raw, n_customers=3000, seed=11)
    return run_dbt_ok("dbt build on generated demo data", ["build"], raw, work / "audience.duckdb", work)


@pytest.fixture(scope="session")
def transactions_only_build(tmp_path_factory, demo_build) -> DbtRun:
    """A raw folder that holds nothing but orders.csv (the minimum the contract requires)."""
    work = tmp_path_factory.mktemp("txonly")
    raw = work / "raw"
    raw.mkdir()
    src = demo_build.raw_dir / "orders.csv"
    if src.exists():
        shutil.copy(src, raw / "orders.csv")
    else:
        con = duckdb.connect()
        con.execute(
            f"copy (select * from read_parquet('{demo_build.raw_dir / 'orders.parquet'}')) "
            f"to '{raw / 'orders.csv'}' (header)"
        )
    run = run_dbt(["build"], raw, work / "audience.duckdb", work)
    return run
