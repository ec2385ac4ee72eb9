"""The same-outputs comparison of two warehouses (benchmarks/compare_builds.py), on small
hand-made DuckDB files: a warehouse equals itself and a copy whose floats differ only in the
last digits, and a doctored copy shows each kind of difference."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cb():
    spec = importlib.util.spec_from_file_location("compare_builds", ROOT / "benchmarks" / "compare_builds.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["compare_builds"] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("compare_builds", None)


@pytest.fixture
def warehouse(tmp_path) -> Path:
    path = tmp_path / "before.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema raw")
    con.execute("create table raw.orders as select 1 as id")
    con.execute(
        "create table main.scores as select * from (values "
        "(1, 'a', 0.1 + 0.2, timestamp '2026-01-01 00:00:00'), "
        "(2, 'b', 1e-9 / 3, timestamp '2026-01-02 00:00:00'), "
        "(2, 'b', 1e-9 / 3, timestamp '2026-01-02 00:00:00'), "
        "(3, null, null, timestamp '2026-01-02 00:00:00')) as t(id, label, score, _loaded_at)"
    )
    con.execute("""create table main.runs as select '{"k": 5, "timings_s": {"fit": 0.1}}' as metrics""")
    con.execute("create table main.segments as select range as id from range(5)")
    con.execute("create view main.segment_view as select id * 2 as doubled from main.segments")
    con.close()
    return path


def _copy(src: Path, name: str, *sql: str) -> Path:
    dst = src.with_name(name)
    shutil.copy(src, dst)
    con = duckdb.connect(str(dst))
    for statement in sql:
        con.execute(statement)
    con.close()
    return dst


def _by_relation(results):
    return {r.relation: r for r in results}


def test_a_warehouse_equals_itself(cb, warehouse):
    results = cb.compare_warehouses(warehouse, warehouse)
    assert {r.relation: r.status for r in results} == {
        "main.runs": "equal",
        "main.scores": "equal",
        "main.segments": "equal",
        "main.segment_view": "equal",
    }
    assert _by_relation(results)["main.scores"].rows_before == 4


def test_float_noise_row_order_load_and_fit_times_do_not_count(cb, warehouse):
    after = _copy(
        warehouse,
        "after.duckdb",
        """update main.runs set metrics = '{"k": 5, "timings_s": {"fit": 0.25}}'""",
        "create or replace table main.scores as "
        "select id, label, score * (1 + 1e-13) as score, now()::timestamp as _loaded_at "
        "from main.scores order by id desc",
    )
    assert all(r.status == "equal" for r in cb.compare_warehouses(warehouse, after))


def test_a_doctored_copy_shows_each_difference(cb, warehouse):
    after = _copy(
        warehouse,
        "after.duckdb",
        # one of the two duplicate rows changes its score beyond the tolerance
        "update main.scores set score = 1e-9 / 3 * 1.001 where rowid = 2",
        "alter table main.segments add column extra integer",
        "drop view main.segment_view",
        "create table main.new_model as select 1 as id",
        """update main.runs set metrics = '{"k": 6, "timings_s": {"fit": 0.1}}'""",
    )
    results = _by_relation(cb.compare_warehouses(warehouse, after))
    scores = results["main.scores"]
    assert (scores.status, scores.only_before, scores.only_after) == ("different", 1, 1)
    assert scores.differing_columns == ["score"]
    segments = results["main.segments"]
    assert segments.status == "equal"
    assert segments.columns_only_after == ["extra"]
    assert results["main.runs"].differing_columns == ["metrics"]
    assert results["main.segment_view"].status == "only-before"
    assert results["main.new_model"].status == "only-after"
    assert "raw.orders" not in results
    table = cb.format_table(list(results.values()))
    assert "values differ in score" in table
    assert "columns only after: extra" in table
    assert "2 different, 1 equal, 1 only-after, 1 only-before" in table
