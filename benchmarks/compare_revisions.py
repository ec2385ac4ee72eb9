"""Benchmark two revisions of the project side by side, in one run, on the same raw data.

    .venv/bin/python benchmarks/compare_revisions.py --before main~3 --sizes 100000 --repeats 3
    .venv/bin/python benchmarks/compare_revisions.py --before v1 --after v2 --sizes 1000000 --repeats 1

Each side is a git revision checked out as a detached worktree under --work-dir and removed
at the end, or a project folder used as it is (`--after .`, the default, is this working
tree). For every size the raw data is generated once by this checkout's generator and shared
by both sides. Every repeat runs each side's own `benchmarks/run_benchmarks.py` for one repeat
(steps `full` and `incremental` by default), the two sides alternating which goes first, so
slow drift of the machine's load hits both alike. Each side runs with `PYTHONPATH` set to its
checkout, so its dbt Python models import its own `audience` package.

Prints one table: per size and step, the median wall seconds of each side, after / before, and
the highest 1-minute load average seen during that side's steps. Timings on a shared machine are
noisy: read the ratio, not the absolute figures.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from compare_builds import checkout  # same folder: the one way to check out a revision
from run_benchmarks import ensure_dataset  # same folder: the one definition of the dataset

ROOT = Path(__file__).resolve().parents[1]


def run_side(project: Path, size: int, args: argparse.Namespace, results: Path) -> int:
    """One repeat of `project`'s own benchmark script at `size`; its CSVs go to `results`."""
    cmd = [
        sys.executable,
        str(project / "benchmarks" / "run_benchmarks.py"),
        "--sizes",
        str(size),
        "--repeats",
        "1",
        "--steps",
        *args.steps,
        "--format",
        args.format,
        "--seed",
        str(args.seed),
        "--data-dir",
        str(args.work_dir / "data"),
        "--work-dir",
        str(args.work_dir / "runs" / results.name),
        "--results-dir",
        str(results),
        "--no-doc",
    ]
    if args.step_timeout:
        cmd += ["--step-timeout", str(args.step_timeout)]
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(cmd, cwd=project, env=env).returncode


def read_runs(results: Path) -> list[dict]:
    rows: list[dict] = []
    for path in sorted(results.glob("*_runs.csv")):
        with path.open() as f:
            rows.extend(csv.DictReader(f))
    return rows


def medians(rows: list[dict], size: int, step: str) -> tuple[float | None, float | None, int]:
    """(median wall seconds of the successful runs, highest load average, failed runs)."""
    mine = [r for r in rows if int(r["size"]) == size and r["step"] == step]
    ok = [float(r["wall_s"]) for r in mine if r["rc"] == "0"]
    loads = [float(r["load_avg"]) for r in mine if r.get("load_avg")]
    return (statistics.median(ok) if ok else None), (max(loads) if loads else None), len(mine) - len(ok)


def table(sides: dict[str, Path], args: argparse.Namespace) -> str:
    before, after = (read_runs(args.work_dir / "results" / name) for name in sides)
    lines = [
        f"before = {args.before}, after = {args.after}; {args.repeats} repeat(s), medians; "
        "load = highest 1-minute load average during the side's steps",
        "",
        "| customers | step | before (s) | after (s) | after / before | load before | load after "
        "| failed runs |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size in args.sizes:
        for step in args.steps:
            b, lb, fb = medians(before, size, step)
            a, la, fa = medians(after, size, step)
            ratio = f"{a / b:.2f}" if a and b else "n/a"
            cells = [f"{v:.1f}" if v is not None else "n/a" for v in (b, a)]
            loads = [f"{v:.1f}" if v is not None else "n/a" for v in (lb, la)]
            lines.append(
                f"| {size:,} | {step} | {cells[0]} | {cells[1]} | {ratio} "
                f"| {loads[0]} | {loads[1]} | {fb + fa} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", required=True, help="git revision measured as 'before'")
    ap.add_argument("--after", default=".", help="git revision measured as 'after' ('.' = this working tree)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument(
        "--steps", nargs="+", default=["full", "incremental"], choices=("full", "incremental", "scoped")
    )
    ap.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--step-timeout", type=float, default=None, metavar="SECONDS")
    ap.add_argument(
        "--work-dir",
        type=Path,
        default=Path(os.environ.get("AUDIENCE_BENCH_DIR", "/tmp/bench")) / "compare",
        help="checkouts, data, warehouses and results (never inside the repository)",
    )
    args = ap.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    for name in ("before", "after"):  # this run's results only
        shutil.rmtree(args.work_dir / "results" / name, ignore_errors=True)
    revs = {"before": args.before, "after": args.after}
    checkouts = {
        name: checkout(str(ROOT) if rev == "." else rev, args.work_dir, name) for name, rev in revs.items()
    }
    sides = {name: folder for name, (folder, _) in checkouts.items()}
    failed = 0
    try:
        for size in args.sizes:
            ensure_dataset(size, args.format, args.work_dir / "data", args.seed)
            for repeat in range(1, args.repeats + 1):
                order = list(sides) if repeat % 2 else list(reversed(sides))
                for name in order:
                    print(f"[{size:>9,}] repeat {repeat}: {name} ({sides[name]})", flush=True)
                    failed += run_side(sides[name], size, args, args.work_dir / "results" / name) != 0
    finally:
        for folder, created in checkouts.values():
            if created:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)], check=False
                )
    text = table(sides, args)
    print("\n" + text)
    (args.work_dir / "comparison.md").write_text(text + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
