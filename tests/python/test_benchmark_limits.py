"""The benchmark runner's memory cap and step timeout (benchmarks/run_benchmarks.py).

A step that passes the RSS cap or the time limit is stopped and recorded as such, with the RSS
and the seconds at which it was stopped, and the report says so instead of a bare failure.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("run_benchmarks", ROOT / "benchmarks" / "run_benchmarks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_step_above_the_memory_cap_is_stopped_and_recorded(bench, tmp_path):
    # allocates ~600 MiB and holds it; the cap is 200 MiB
    cmd = [
        sys.executable,
        "-c",
        "import time; b = bytearray(600 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(30)",
    ]
    got = bench.run_measured(cmd, {}, tmp_path / "oom.log", interval=0.05, max_rss_bytes=200 * 2**20)
    assert got["status"] == "out_of_memory"
    assert got["rc"] != 0
    assert got["wall_s"] < 25
    assert got["note"].startswith("out of memory: stopped at ")
    assert "(cap 0.195312 GiB)" in got["note"] and got["note"].endswith(" s")
    assert got["peak_rss_mib"] > 200


def test_a_step_over_the_time_limit_is_stopped_and_recorded(bench, tmp_path):
    cmd = [sys.executable, "-c", "import time; time.sleep(30)"]
    got = bench.run_measured(cmd, {}, tmp_path / "slow.log", interval=0.05, timeout_s=1.0)
    assert got["status"] == "timeout"
    assert got["rc"] != 0
    assert 1.0 <= got["wall_s"] < 25
    assert got["note"].startswith("timed out: stopped after ")


def test_a_finished_step_is_ok(bench, tmp_path):
    got = bench.run_measured([sys.executable, "-c", "print(1)"], {}, tmp_path / "ok.log", timeout_s=60)
    assert (got["status"], got["rc"], got["note"]) == ("ok", 0, "")


def test_report_shows_a_stopped_baseline_and_a_lower_bound(bench, tmp_path):
    runs = [
        {
            "size": 1000,
            "repeat": 1,
            "step": "full",
            "wall_s": 100.0,
            "peak_rss_mib": 4000,
            "rc": 0,
            "status": "ok",
            "load_avg": 2.0,
            "note": "",
        },
        {
            "size": 1000,
            "repeat": 1,
            "step": "baseline",
            "wall_s": 250.0,
            "peak_rss_mib": 16500,
            "rc": -9,
            "status": "out_of_memory",
            "load_avg": 2.0,
            "note": "out of memory: stopped at 16.1 GiB RSS (cap 16 GiB) after 250 s",
        },
    ]
    path = tmp_path / "20260101T000000_runs.csv"
    bench.write_csv(path, runs)
    back = bench.read_csv(path)
    table = bench.markdown(
        back, [], {"stamp": "x", "machine": "m", "format": "parquet", "threads": 2, "repeats": 1}
    )
    row = next(line for line in table.splitlines() if line.startswith("| 1,000 "))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[4] == "out of memory at 16.1 GiB after 250 s"
    assert cells[6] == "> 2.50"
    assert "out of memory: stopped at 16.1 GiB RSS" in table


def test_old_runs_csv_without_status_still_renders(bench, tmp_path):
    path = tmp_path / "20250101T000000_runs.csv"
    path.write_text(
        "size,repeat,step,wall_s,peak_rss_mib,rc,load_avg,note\n"
        "1000,1,full,100.0,4000,0,2.0,\n"
        "1000,1,baseline,300.0,20000,-9,2.0,killed above 16 GiB RSS\n"
    )
    rows = bench.read_csv(path)
    assert [r["status"] for r in rows] == ["ok", "out_of_memory"]
    assert "out of memory at 19.5 GiB after 300 s" in bench.markdown(
        rows, [], {"stamp": "x", "machine": "m", "format": "parquet", "threads": 2, "repeats": 1}
    )


def test_node_rows_place_each_node_on_the_runs_timeline(bench, tmp_path):
    # run_results.json as dbt writes it: per node, timing steps with ISO timestamps, a thread id;
    # a skipped node has no timing
    def node(uid, start, end, thread):
        timing = [
            {"name": "compile", "started_at": start, "completed_at": start},
            {"name": "execute", "started_at": start, "completed_at": end},
        ]
        return {
            "unique_id": uid,
            "status": "success",
            "execution_time": 1.0,
            "thread_id": thread,
            "timing": timing,
        }

    results = [
        node("model.p.b", "2026-01-01T10:00:05.500000Z", "2026-01-01T10:00:09Z", "Thread-2"),
        node("model.p.a", "2026-01-01T10:00:02Z", "2026-01-01T10:00:04.250000Z", "Thread-1"),
        {
            "unique_id": "model.p.c",
            "status": "skipped",
            "execution_time": 0.0,
            "thread_id": "Thread-1",
            "timing": [],
        },
    ]
    (tmp_path / "run_results.json").write_text(__import__("json").dumps({"results": results}))
    rows = {
        r["unique_id"]: r for r in bench.node_rows(tmp_path, {"size": 10, "repeat": 1, "step": "incremental"})
    }
    assert (rows["model.p.a"]["start_s"], rows["model.p.a"]["end_s"]) == (0.0, 2.25)
    assert (rows["model.p.b"]["start_s"], rows["model.p.b"]["end_s"], rows["model.p.b"]["thread"]) == (
        3.5,
        7.0,
        "Thread-2",
    )
    assert rows["model.p.c"]["start_s"] is None
    runs = [{"size": 10, "repeat": 1, "step": "incremental", "rc": 0}]
    table = bench.incremental_timeline(list(rows.values()), runs)
    body = [line for line in table if line.startswith("| `")]
    assert body == [  # in start order; the skipped node has no place on the timeline
        "| `model.p.a` | 1.0 | 0.0 | 2.2 | Thread-1 |",
        "| `model.p.b` | 1.0 | 3.5 | 7.0 | Thread-2 |",
    ]


def test_the_floor_script_counts_every_raw_row_and_each_pass(tmp_path):
    from tests.python.conftest import generate

    spec = importlib.util.spec_from_file_location("floor", ROOT / "benchmarks" / "floor.py")
    floor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(floor)
    counts = generate(tmp_path / "raw", 300, fmt="parquet")
    results = floor.measure(tmp_path / "raw", threads=1, memory_limit="1GB", work_dir=tmp_path)
    copied = {r["source"]: r["rows"] for r in results if r["pass"] == "copy"}
    assert copied == counts
    passes = {r["pass"]: r for r in results if r["pass"] != "copy"}
    assert set(passes) == {"typing", "dedup_key", "sessions", "profile"}
    assert passes["typing"]["rows"] > 0.9 * counts["web_events"]
    assert 0 < passes["sessions"]["rows"] < counts["web_events"]
    assert all(r["wall_s"] >= 0 and r["cpu_s"] >= 0 for r in results)
