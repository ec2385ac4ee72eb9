"""Benchmark the whole `dbt build` at several sizes against the pandas recipe.

For every size: generate the synthetic raw files once (Parquet by default) under --data-dir, then
for every repeat, on a fresh copy of the raw folder and a fresh warehouse file:

  full         `dbt build` of the whole project (landing hook included)
  incremental  `audience append-day` (not timed), then `dbt build --selector realtime` on the same
               warehouse: the micro-batch refresh of one appended day
  baseline     `benchmarks/pandas_baseline.py` on the same raw files (profile features, RFM,
               K-Means with silhouette over a k range), in the same run, side by side

Each step is timed (wall clock) and its peak memory recorded: the RSS summed over the whole process
tree, sampled every 0.2 s with psutil (or /proc when psutil is missing). Per-node timings come from
dbt's run_results.json. Outputs:

  benchmarks/results/<stamp>_runs.csv    one row per step and repeat
  benchmarks/results/<stamp>_nodes.csv   one row per dbt node, step and repeat
  docs/benchmarks.md                     the Markdown tables below, between the RESULTS markers

    .venv/bin/python benchmarks/run_benchmarks.py --sizes 10000 100000 1000000 --repeats 3

Timings on a shared machine are noisy: the tables report medians of the repeats and ratios
measured in the same run.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- BEGIN RESULTS (written by benchmarks/run_benchmarks.py) -->", "<!-- END RESULTS -->"

try:
    import psutil
except ImportError:  # pragma: no cover - psutil is in the `bench` extra
    psutil = None


# ---------------------------------------------------------------- memory sampling
def _tree_rss_proc(pid: int) -> int:
    """RSS in bytes of pid and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, []))
    return total


def _tree_rss(pid: int) -> int:
    if psutil is None:
        return _tree_rss_proc(pid)
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


MAX_RSS_BYTES = 16 * 2**30  # --max-rss-gib: a step above this is stopped (shared machine)
STEP_TIMEOUT_S: float | None = None  # --step-timeout: a step running longer is stopped


def run_measured(
    cmd: list[str],
    env: dict[str, str],
    log: Path,
    interval: float = 0.2,
    max_rss_bytes: int | None = None,
    timeout_s: float | None = None,
) -> dict:
    """Run cmd, return wall seconds, peak tree RSS (MiB), exit code and status; output goes to log.

    status is `ok`, `failed` (non-zero exit), `out_of_memory` (the tree's RSS passed the cap,
    --max-rss-gib, default MAX_RSS_BYTES: the tree is killed before it can exhaust the shared
    machine) or `timeout` (--step-timeout); for the last two `note` says at what RSS and after
    how many seconds, e.g. "out of memory: stopped at 16.1 GiB RSS (cap 16 GiB) after 312 s".
    """
    cap = MAX_RSS_BYTES if max_rss_bytes is None else max_rss_bytes
    limit = STEP_TIMEOUT_S if timeout_s is None else timeout_s
    peak = 0
    stopped: dict = {}
    loads: list[float] = []  # 1-minute load average during the step (the machine is shared)
    with open(log, "w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                rss = _tree_rss(proc.pid)
                peak = max(peak, rss)
                loads.append(os.getloadavg()[0])
                elapsed = time.perf_counter() - start
                if not stopped and rss > cap:
                    stopped.update(status="out_of_memory", rss=rss, after=elapsed)
                    _kill_tree(proc.pid)
                elif not stopped and limit is not None and elapsed > limit:
                    stopped.update(status="timeout", rss=rss, after=elapsed)
                    _kill_tree(proc.pid)
                done.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        rc = proc.wait()
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
    status, note = ("ok" if rc == 0 else "failed"), ""
    if stopped.get("status") == "out_of_memory":
        status = "out_of_memory"
        note = (
            f"out of memory: stopped at {stopped['rss'] / 2**30:.1f} GiB RSS "
            f"(cap {cap / 2**30:g} GiB) after {stopped['after']:.0f} s"
        )
    elif stopped.get("status") == "timeout":
        status = "timeout"
        note = (
            f"timed out: stopped after {stopped['after']:.0f} s (limit {limit:g} s) "
            f"at {stopped['rss'] / 2**30:.1f} GiB RSS"
        )
    return {
        "wall_s": round(wall, 2),
        "peak_rss_mib": round(peak / 2**20),
        "rc": rc,
        "status": status,
        "load_avg": round(max(loads), 1) if loads else None,
        "note": note,
    }


def _kill_tree(pid: int) -> None:
    pids = [pid]
    if psutil is not None:
        try:
            pids += [c.pid for c in psutil.Process(pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            pass
    for p in reversed(pids):
        try:
            os.kill(p, 9)
        except ProcessLookupError:
            pass


# ---------------------------------------------------------------- steps
def ensure_dataset(size: int, fmt: str, data_dir: Path, seed: int) -> Path:
    path = data_dir / f"raw_{size}_{fmt}_s{seed}"
    marker = path / "_truth" / "meta.json"
    if not marker.exists():
        print(f"[{size:>9,}] generating {fmt} data into {path}", flush=True)
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run(
            [
                str(BIN / "audience"),
                "generate",
                "--customers",
                str(size),
                "--seed",
                str(seed),
                "--out",
                str(path),
                "--format",
                fmt,
            ],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
    return path


def fresh_copy(src: Path, dst: Path) -> Path:
    """Hard-link copy of the raw folder (append-day only adds files), with a real copy of _truth/
    (append-day rewrites _truth/meta.json in place)."""
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, copy_function=os.link, ignore=shutil.ignore_patterns("_truth"))
    shutil.copytree(src / "_truth", dst / "_truth")
    return dst


def dbt_cmd(args: list[str], target: Path) -> list[str]:
    return [
        str(BIN / "dbt"),
        *args,
        "--project-dir",
        str(ROOT),
        "--profiles-dir",
        str(ROOT),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
    ]


def node_rows(target: Path, base: dict) -> list[dict]:
    path = target / "run_results.json"
    if not path.exists():
        return []
    results = json.loads(path.read_text())["results"]
    spans = {r["unique_id"]: _span(r) for r in results}
    starts = [s[0] for s in spans.values() if s]
    t0 = min(starts) if starts else None
    rows = []
    for r in results:
        span = spans[r["unique_id"]]
        rows.append(
            {
                **base,
                "unique_id": r["unique_id"],
                "resource_type": r["unique_id"].split(".")[0],
                "status": r["status"],
                "execution_time_s": round(r["execution_time"], 3),
                # when the node ran, in seconds from the first node's start, and on which dbt thread:
                # what a run waited on (its critical path, idle threads) can be read from these
                "start_s": round((span[0] - t0).total_seconds(), 2) if span else None,
                "end_s": round((span[1] - t0).total_seconds(), 2) if span else None,
                "thread": r.get("thread_id"),
            }
        )
    return rows


def _span(result: dict) -> tuple[dt.datetime, dt.datetime] | None:
    """(start, end) of one node in run_results.json: its first timing step's start and its last
    step's end (compile, then execute), or None when dbt recorded no timing (skipped nodes)."""
    steps = [t for t in result.get("timing", []) if t.get("started_at") and t.get("completed_at")]
    if not steps:
        return None

    def parse(ts: str) -> dt.datetime:
        return dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))

    return parse(steps[0]["started_at"]), parse(steps[-1]["completed_at"])


STEPS = ("full", "incremental", "scoped", "baseline")
# the dbt part comparable with the pandas recipe: profiles, RFM and clusters with everything they
# need (landing, seed, staging, identity stitching, quarantine), no tests, no CLV/churn/segments/exports
SCOPED_SELECT = ["+customer_profiles", "+int_customer_rfm", "+customer_clusters"]


def run_one(
    size: int,
    repeat: int,
    raw_src: Path,
    work: Path,
    threads: int,
    steps: list[str],
    runs: list[dict],
    nodes: list[dict],
    on_step=lambda: None,
    keep: bool = False,
) -> None:
    """One repeat at one size; appends to runs and nodes and calls on_step after every step."""
    run_dir = work / f"{size}_r{repeat}"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    raw = fresh_copy(raw_src, run_dir / "raw")
    base_env = {
        **os.environ,
        "AUDIENCE_RAW_PATH": str(raw),
        "AUDIENCE_EXPORT_PATH": str(run_dir / "exports"),
        "AUDIENCE_THREADS": str(threads),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    env = {**base_env, "AUDIENCE_DUCKDB_PATH": str(run_dir / "w.duckdb")}

    def record(step: str, measured: dict, target: Path | None = None) -> dict:
        row = {"size": size, "repeat": repeat, "step": step, **measured}
        if target is not None:
            rr = target / "run_results.json"
            row["dbt_elapsed_s"] = (
                round(json.loads(rr.read_text())["elapsed_time"], 2) if rr.exists() else None
            )
            nodes.extend(node_rows(target, {"size": size, "repeat": repeat, "step": step}))
        runs.append(row)
        on_step()
        status = (
            "ok"
            if measured["rc"] == 0
            else f"{measured['status'].upper()} rc={measured['rc']} {measured['note']}"
        )
        print(
            f"[{size:>9,}] r{repeat} {step:<12} {measured['wall_s']:>8.1f} s  "
            f"{measured['peak_rss_mib']:>6} MiB  {status}",
            flush=True,
        )
        return row

    if "scoped" in steps:  # first, on the pristine raw folder and its own fresh warehouse
        target = run_dir / "target_scoped"
        scoped_env = {**base_env, "AUDIENCE_DUCKDB_PATH": str(run_dir / "scoped.duckdb")}
        cmd = dbt_cmd(
            ["build", "--select", *SCOPED_SELECT, "--exclude-resource-type", "test", "unit_test"], target
        )
        record("scoped", run_measured(cmd, scoped_env, run_dir / "scoped.log"), target)
        (run_dir / "scoped.duckdb").unlink(missing_ok=True)
        shutil.rmtree(run_dir / "scoped.duckdb.tmp", ignore_errors=True)

    full = None
    if "full" in steps:
        target = run_dir / "target_full"
        full = record("full", run_measured(dbt_cmd(["build"], target), env, run_dir / "full.log"), target)

    if "incremental" in steps and full is not None and full["rc"] == 0:
        subprocess.run(
            [str(BIN / "audience"), "append-day", "--out", str(raw), "--seed", str(repeat)],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            env=env,
        )
        target = run_dir / "target_incr"
        # a micro-batch run reuses the project's target folder, so dbt parses only what changed:
        # seed the incremental step's target with the full build's parse (same project, profile
        # and environment) instead of timing a from-scratch parse of ~600 nodes
        target.mkdir(parents=True, exist_ok=True)
        parse_state = run_dir / "target_full" / "partial_parse.msgpack"
        if parse_state.exists():
            shutil.copy2(parse_state, target / "partial_parse.msgpack")
        record(
            "incremental",
            run_measured(dbt_cmd(["build", "--selector", "realtime"], target), env, run_dir / "incr.log"),
            target,
        )

    if "baseline" in steps:
        cmd = [sys.executable, str(ROOT / "benchmarks" / "pandas_baseline.py"), "--raw", str(raw_src)]
        record("baseline", run_measured(cmd, env, run_dir / "baseline.log"))
    if keep:  # --keep: the warehouse and the raw copy stay, for profiling single models on them
        return
    # keep logs and run_results; drop the warehouses, DuckDB's spill folders (45 GB at 1M) and the raw copy
    for name in ("w.duckdb", "w.duckdb.wal", "scoped.duckdb", "scoped.duckdb.wal"):
        (run_dir / name).unlink(missing_ok=True)
    for name in ("w.duckdb.tmp", "scoped.duckdb.tmp"):
        shutil.rmtree(run_dir / name, ignore_errors=True)
    shutil.rmtree(raw, ignore_errors=True)


# ---------------------------------------------------------------- report
def _median(rows: list[dict], size: int, step: str, key: str) -> float | None:
    vals = [
        r[key]
        for r in rows
        if r["size"] == size and r["step"] == step and r["rc"] == 0 and r.get(key) not in (None, "")
    ]
    return statistics.median(vals) if vals else None


def _fmt(v: float | None, spec: str = ".1f") -> str:
    return "n/a" if v is None else format(v, spec)


def _type_total(by_type: dict[str, list[float]], rtype: str) -> float:
    return statistics.median([sum(v) for k, v in by_type.items() if k.startswith(rtype + "|")])


def _ratio(runs: list[dict], size: int, num: str, den: str) -> float | None:
    """Median over repeats of num/den wall time, both steps of the same repeat (side by side)."""
    vals = [
        a["wall_s"] / b["wall_s"]
        for a in runs
        for b in runs
        if a["size"] == b["size"] == size
        and a["repeat"] == b["repeat"]
        and a["step"] == num
        and b["step"] == den
        and a["rc"] == b["rc"] == 0
    ]
    return statistics.median(vals) if vals else None


def _stopped(runs: list[dict], size: int, step: str) -> dict | None:
    """The first repeat of a step stopped for memory or time (none if any repeat finished)."""
    if _median(runs, size, step, "wall_s") is not None:
        return None
    rows = [
        r
        for r in runs
        if r["size"] == size and r["step"] == step and r.get("status") in ("out_of_memory", "timeout")
    ]
    return rows[0] if rows else None


def _stopped_cell(row: dict) -> str:
    what = "out of memory" if row["status"] == "out_of_memory" else "timed out"
    return f"{what} at {row['peak_rss_mib'] / 1024:.1f} GiB after {row['wall_s']:.0f} s"


def markdown(runs: list[dict], nodes: list[dict], meta: dict) -> str:
    sizes = sorted({r["size"] for r in runs})
    lines = [
        f"Run {meta['stamp']} on {meta['machine']}; input {meta['format']}; dbt threads {meta['threads']}; "
        f"{meta['repeats']} repeat(s), medians shown; n/a = not measured or failed (see below).",
        "",
        "| customers | full build (s) | peak RSS (MiB) | scoped dbt run (s) | pandas baseline (s) "
        "| baseline RSS (MiB) | baseline / full | baseline / scoped | incremental day (s) "
        "| incremental / full | full vs previous size | max load avg (full) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    if any(r.get("status") in ("out_of_memory", "timeout") for r in runs):
        lines[0] += (
            " A step stopped for memory (--max-rss-gib) or time (--step-timeout) shows where it was"
            " stopped; a ratio against a stopped baseline is a lower bound (> x)."
        )
    prev = None
    for s in sizes:
        full = _median(runs, s, "full", "wall_s")
        rb, rs, ri = (
            _ratio(runs, s, "baseline", "full"),
            _ratio(runs, s, "baseline", "scoped"),
            _ratio(runs, s, "incremental", "full"),
        )
        scale = f"{full / prev:.1f}x" if prev and full else ""
        base_cell = _fmt(_median(runs, s, "baseline", "wall_s"))
        stopped = _stopped(runs, s, "baseline")
        rb_cell, rs_cell = _fmt(rb, ".2f"), _fmt(rs, ".2f")
        if stopped is not None:
            # the baseline did not finish: its time so far bounds the ratios from below
            base_cell = _stopped_cell(stopped)
            bound = {
                d: [
                    stopped["wall_s"] / r["wall_s"]
                    for r in runs
                    if r["size"] == s and r["step"] == d and r["rc"] == 0 and r["repeat"] == stopped["repeat"]
                ]
                for d in ("full", "scoped")
            }
            rb_cell = f"> {bound['full'][0]:.2f}" if bound["full"] else rb_cell
            rs_cell = f"> {bound['scoped'][0]:.2f}" if bound["scoped"] else rs_cell
        lines.append(
            f"| {s:,} | {_fmt(full)} | {_fmt(_median(runs, s, 'full', 'peak_rss_mib'), '.0f')} "
            f"| {_fmt(_median(runs, s, 'scoped', 'wall_s'))} "
            f"| {base_cell} "
            f"| {_fmt(_median(runs, s, 'baseline', 'peak_rss_mib'), '.0f')} "
            f"| {rb_cell} | {rs_cell} "
            f"| {_fmt(_median(runs, s, 'incremental', 'wall_s'))} "
            f"| {'n/a' if ri is None else f'{100 * ri:.1f}%'} "
            f"| {scale} | {_fmt(_median(runs, s, 'full', 'load_avg'))} |"
        )
        prev = full
    failed = [r for r in runs if r["rc"] != 0]
    if failed:
        lines += ["", "Failed or stopped steps:", ""]
        lines += [
            f"- {r['size']:,} r{r['repeat']} {r['step']}: exit {r['rc']} after {r['wall_s']:.0f} s, "
            f"peak {r['peak_rss_mib']} MiB{(' (' + r['note'] + ')') if r.get('note') else ''}"
            for r in failed
        ]
    ok_full = [r["size"] for r in runs if r["step"] == "full" and r["rc"] == 0]
    if not ok_full:
        return "\n".join(lines)
    biggest = max(ok_full)
    per_node: dict[str, list[float]] = {}
    for n in nodes:
        if n["size"] == biggest and n["step"] == "full":
            per_node.setdefault(n["unique_id"], []).append(n["execution_time_s"])
    top = sorted(((statistics.median(v), k) for k, v in per_node.items()), reverse=True)[:15]
    by_type: dict[str, list[float]] = {}
    for n in nodes:
        if n["size"] == biggest and n["step"] == "full":
            by_type.setdefault(f"{n['resource_type']}|{n['repeat']}", []).append(n["execution_time_s"])
    if top:
        lines += [
            "",
            f"Slowest dbt nodes of the full build at {biggest:,} customers (median execution "
            "time; dbt runs 2 nodes at a time, so they overlap):",
            "",
            "| node | seconds |",
            "| --- | ---: |",
        ]
        lines += [f"| `{k}` | {v:.1f} |" for v, k in top]
        types = sorted({k.split("|")[0] for k in by_type})
        lines += [
            "",
            "Sum of node times by type at that size (median over repeats): "
            + ", ".join(f"{t} {_type_total(by_type, t):.0f} s" for t in types),
        ]
    lines += incremental_timeline(nodes, runs)
    return "\n".join(lines)


def incremental_timeline(nodes: list[dict], runs: list[dict], top: int = 15) -> list[str]:
    """The slowest nodes of the incremental step at the largest size that has one, with when they
    ran (first repeat; nodes.csv written before the timeline columns have none: nothing)."""
    ok = [r["size"] for r in runs if r["step"] == "incremental" and r["rc"] == 0]
    if not ok:
        return []
    size = max(ok)
    rows = [
        n
        for n in nodes
        if n["size"] == size and n["step"] == "incremental" and n.get("start_s") not in (None, "")
    ]
    if not rows:
        return []
    first = min(n["repeat"] for n in rows)
    rows = sorted((n for n in rows if n["repeat"] == first), key=lambda n: -n["execution_time_s"])[:top]
    lines = [
        "",
        f"Slowest dbt nodes of the incremental day at {size:,} customers (repeat {first}), with when they "
        "ran (seconds from the first node's start) and on which dbt thread:",
        "",
        "| node | seconds | start | end | thread |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    lines += [
        f"| `{n['unique_id']}` | {n['execution_time_s']:.1f} | {n['start_s']:.1f} | {n['end_s']:.1f} "
        f"| {n.get('thread') or ''} |"
        for n in sorted(rows, key=lambda n: n["start_s"])
    ]
    return lines


def write_doc(table: str) -> None:
    text = DOC.read_text() if DOC.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text:
        text += f"\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    DOC.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}")


def write_csv(path: Path, rows: list[dict]) -> None:
    if not rows:
        return
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)


def read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k in ("size", "repeat", "rc", "peak_rss_mib"):
            if r.get(k) not in (None, ""):
                r[k] = int(float(r[k]))
        for k in ("wall_s", "execution_time_s", "dbt_elapsed_s", "load_avg", "start_s", "end_s"):
            if r.get(k) not in (None, ""):
                r[k] = float(r[k])
        if "rc" in r and not r.get("status"):  # runs CSVs written before the status column
            killed = "killed above" in (r.get("note") or "")
            r["status"] = "ok" if r["rc"] == 0 else ("out_of_memory" if killed else "failed")
    return rows


def report_from(args: argparse.Namespace) -> int:
    """Tables from earlier runs (e.g. one invocation per size or step): the runs of a (size, step)
    come from the last file that has it."""
    runs: list[dict] = []
    nodes: list[dict] = []
    stamps = []
    for path in args.report_from:
        r = read_csv(path)
        n = read_csv(path.with_name(path.name.replace("_runs.csv", "_nodes.csv")))
        have = {(x["size"], x["step"]) for x in r}
        runs = [x for x in runs if (x["size"], x["step"]) not in have] + r
        nodes = [x for x in nodes if (x["size"], x["step"]) not in have] + n
        stamps.append(path.name.split("_")[0])
    repeats = max((x["repeat"] for x in runs), default=0)
    meta = {
        "stamp": " + ".join(stamps),
        "format": args.format,
        "threads": args.threads,
        "repeats": repeats,
        "machine": f"{platform.system()} {os.cpu_count()} CPUs, "
        f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB RAM",
    }
    table = markdown(runs, nodes, meta)
    print(table)
    if not args.no_doc:
        write_doc(table)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=2, help="dbt threads (AUDIENCE_THREADS)")
    ap.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("AUDIENCE_BENCH_DIR", "/tmp/bench")) / "data"
    )
    ap.add_argument(
        "--work-dir", type=Path, default=Path(os.environ.get("AUDIENCE_BENCH_DIR", "/tmp/bench")) / "runs"
    )
    ap.add_argument("--results-dir", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    ap.add_argument(
        "--max-rss-gib",
        type=float,
        default=16.0,
        help="stop a step whose process tree passes this RSS (recorded as out of memory)",
    )
    ap.add_argument(
        "--step-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop a step running longer than this (recorded as timed out, with its RSS)",
    )
    ap.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    ap.add_argument(
        "--keep",
        action="store_true",
        help="keep each repeat's warehouse and raw copy under --work-dir (to profile models on them)",
    )
    ap.add_argument(
        "--report-from",
        type=Path,
        nargs="+",
        metavar="RUNS_CSV",
        help="run nothing: rebuild the tables from earlier *_runs.csv files (and their *_nodes.csv)",
    )
    args = ap.parse_args(argv)
    if args.report_from:
        return report_from(args)
    global MAX_RSS_BYTES, STEP_TIMEOUT_S
    MAX_RSS_BYTES = int(args.max_rss_gib * 2**30)
    STEP_TIMEOUT_S = args.step_timeout

    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    args.results_dir.mkdir(parents=True, exist_ok=True)
    meta = {
        "stamp": stamp,
        "format": args.format,
        "threads": args.threads,
        "repeats": args.repeats,
        "machine": f"{platform.system()} {os.cpu_count()} CPUs, "
        f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB RAM",
    }
    runs: list[dict] = []
    nodes: list[dict] = []

    def save() -> None:  # after every step: an interrupted long run still leaves its numbers
        write_csv(args.results_dir / f"{stamp}_runs.csv", runs)
        write_csv(args.results_dir / f"{stamp}_nodes.csv", nodes)

    for size in args.sizes:
        raw_src = ensure_dataset(size, args.format, args.data_dir, args.seed)
        for repeat in range(1, args.repeats + 1):
            run_one(
                size, repeat, raw_src, args.work_dir, args.threads, args.steps, runs, nodes, save, args.keep
            )
    table = markdown(runs, nodes, meta)
    print("\n" + table)
    (args.results_dir / f"{stamp}_summary.md").write_text(table + "\n")
    if not args.no_doc:
        write_doc(table)
    return 1 if any(r["rc"] != 0 for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
