"""Same outputs before and after a change: build one dataset from two revisions and compare.

    .venv/bin/python benchmarks/compare_builds.py --before main --after .
    .venv/bin/python benchmarks/compare_builds.py --before HEAD~3 --after HEAD --customers 2000

Steps:

1. `audience generate --customers N --seed S` writes one raw dataset (skipped with --raw DIR).
2. Each side is a project directory: an existing folder (a worktree, `.` for the working tree)
   is used as it is; anything else is a git revision, checked out with `git worktree add
   --detach` under a temporary folder and removed at the end.
3. `dbt build` of each side, with this venv's dbt and `--project-dir <side>`, into its own DuckDB
   file, exports and BI file under a temporary folder. The side's folder comes first on
   PYTHONPATH, so its Python models import its own `audience` package. Both builds get the same
   var `build_clock` (the moment this script started, UTC, unless --build-clock is given): the
   as-of date and the future-timestamp cutoff follow that clock (int_as_of_date), so both builds
   compute as of the same day.
4. Every relation present in both warehouses (every schema but `raw`) is compared row for row,
   order-independent (`except all` both ways, so duplicates count), on the columns both sides
   have minus the ignored ones (the build's own moments, DEFAULT_IGNORED, and any
   --ignore-column). Floating-point columns are rounded to --float-digits significant digits
   first.

The table printed has one line per relation: equal, different (with the rows only on each side
and the columns whose values differ), only-before or only-after. The exit status is 1 when a
relation present on both sides differs or a build failed, else 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).with_name("dbt"))
AUDIENCE = str(Path(sys.executable).with_name("audience"))
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
# the build's own moment: load, write and run times, when an identity link was added or
# removed, snapshot validity, transition time and its id
DEFAULT_IGNORED = (
    "_loaded_at",
    "_written_at",
    "added_at",
    "removed_at",
    "loaded_at",
    "last_loaded_at",
    "generated_at",
    "trained_at",
    "transition_at",
    "transition_id",
    "dbt_scd_id",
    "dbt_updated_at",
    "dbt_valid_from",
    "dbt_valid_to",
)
TEXT_TYPES = ("VARCHAR", "JSON")
TEXT = "compared as text"  # a column whose type differs between the sides


@dataclass
class Side:
    """One build: where its project is, where it writes, and how dbt ended."""

    label: str
    project_dir: Path
    work_dir: Path
    returncode: int | None = None

    @property
    def db_path(self) -> Path:
        return self.work_dir / "audience.duckdb"


@dataclass
class Comparison:
    """The result for one relation (schema.name)."""

    relation: str
    status: str  # equal, different, only-before, only-after
    rows_before: int | None = None
    rows_after: int | None = None
    only_before: int = 0
    only_after: int = 0
    differing_columns: list[str] = field(default_factory=list)
    columns_only_before: list[str] = field(default_factory=list)
    columns_only_after: list[str] = field(default_factory=list)


def checkout(rev: str, parent: Path, label: str) -> tuple[Path, bool]:
    """A project folder for `rev`: the folder itself when it exists, else a detached git
    worktree of the revision under `parent`. Returns (folder, created)."""
    as_path = Path(rev)
    if as_path.is_dir() and (as_path / "dbt_project.yml").exists():
        return as_path.resolve(), False
    target = parent / f"src_{label}"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(target), rev],
        check=True,
    )
    return target, True


def build(side: Side, raw_dir: Path, build_clock: str, threads: str) -> int:
    """`dbt build` of side.project_dir on raw_dir; dbt's output goes to <work_dir>/build.log."""
    side.work_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "AUDIENCE_RAW_PATH": str(raw_dir),
        "AUDIENCE_DUCKDB_PATH": str(side.db_path),
        "AUDIENCE_EXPORT_PATH": str(side.work_dir / "exports"),
        "AUDIENCE_THREADS": threads,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PYTHONPATH": os.pathsep.join([str(side.project_dir), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [
        DBT, "build",
        "--project-dir", str(side.project_dir),
        "--profiles-dir", str(side.project_dir),
        "--target-path", str(side.work_dir / "target"),
        "--log-path", str(side.work_dir / "logs"),
        "--vars", f"{{build_clock: '{build_clock}'}}",
    ]  # fmt: skip
    with open(side.work_dir / "build.log", "w") as log:
        proc = subprocess.run(cmd, env=env, cwd=side.work_dir, stdout=log, stderr=subprocess.STDOUT)
    side.returncode = proc.returncode
    return proc.returncode


class Warehouse:
    """One DuckDB file, attached read-only only while it is read, under the catalog name its
    views were written with (dbt-duckdb names the catalog after the file), so both sides of a
    comparison may be called audience.duckdb. Views are read from the folder their build ran
    in (export views hold paths relative to it)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, cwd: Path):
        self.con, self.path, self.cwd = con, path, cwd
        self.catalog = path.stem

    def __enter__(self) -> Warehouse:
        self.here = os.getcwd()
        os.chdir(self.cwd)
        self.con.execute(f"attach '{self.path}' as {_quote(self.catalog)} (read_only)")
        return self

    def __exit__(self, *exc) -> None:
        self.con.execute("use memory")
        self.con.execute(f"detach {_quote(self.catalog)}")
        os.chdir(self.here)

    def relations(self) -> dict[str, dict[str, str]]:
        """schema.name -> {column: data type} of every relation, raw schema left out."""
        rows = self.con.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_catalog = ? and table_schema not in ('raw', 'information_schema', 'pg_catalog') "
            "order by table_schema, table_name, ordinal_position",
            [self.catalog],
        ).fetchall()
        out: dict[str, dict[str, str]] = {}
        for schema, name, column, data_type in rows:
            out.setdefault(f"{schema}.{name}", {})[column] = data_type
        return out

    def load(self, relation: str, cols: dict[str, str], digits: int, alias: str) -> None:
        """Copy the compared columns of one relation into the temp table `alias`."""
        schema, name = relation.split(".", 1)
        folder = str(self.cwd.resolve())
        select = ", ".join(f"{_value_expr(c, t, digits, folder)} as {_quote(c)}" for c, t in cols.items())
        self.con.execute(
            f"create or replace temp table {alias} as select {select or '1 as one'} "
            f"from {_quote(self.catalog)}.{_quote(schema)}.{_quote(name)}"
        )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _value_expr(column: str, data_type: str, digits: int, folder: str) -> str:
    """The column as compared: floats rounded to `digits` significant digits; text without the
    build's folder (export paths) and with the fit timings of a metrics document emptied; the
    rest as is."""
    col = _quote(column)
    if data_type == TEXT:
        return f"cast({col} as varchar)"
    if data_type.upper() in TEXT_TYPES:
        prefix = folder.replace("'", "''") + "/"
        return (
            f"regexp_replace(replace(cast({col} as varchar), '{prefix}', ''), "
            """'"timings_s": \\{[^}]*\\}', '"timings_s": {}', 'g')"""
        )
    if data_type.upper() not in FLOAT_TYPES:
        return col
    return (
        f"case when {col} is null or isnan({col}) or isinf({col}) or {col} = 0 then {col} "
        f"else round({col}, {digits - 1} - cast(floor(log10(abs({col}))) as integer)) end"
    )


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return con.execute(f"select count(*) from ({sql})").fetchone()[0]


def compare_relation(
    before: Warehouse,
    after: Warehouse,
    relation: str,
    cols_b: dict[str, str],
    cols_a: dict[str, str],
    ignored: set[str],
    digits: int,
) -> Comparison:
    """Row-for-row comparison of one relation present in both warehouses."""
    common = {c: t for c, t in cols_b.items() if c in cols_a and c not in ignored}
    # a column whose type changed compares as text on both sides
    compared = {c: (t if cols_a[c] == t else TEXT) for c, t in common.items()}
    result = Comparison(
        relation,
        "equal",
        columns_only_before=[c for c in cols_b if c not in cols_a],
        columns_only_after=[c for c in cols_a if c not in cols_b],
    )
    with before:
        before.load(relation, compared, digits, "cmp_before")
    with after:
        after.load(relation, compared, digits, "cmp_after")
    con = before.con
    result.rows_before = _count(con, "select * from cmp_before")
    result.rows_after = _count(con, "select * from cmp_after")
    result.only_before = _count(con, "select * from cmp_before except all select * from cmp_after")
    result.only_after = _count(con, "select * from cmp_after except all select * from cmp_before")
    if result.only_before or result.only_after:
        result.status = "different"
        for c in compared:
            q = _quote(c)
            diff = _count(con, f"select {q} from cmp_before except all select {q} from cmp_after")
            diff += _count(con, f"select {q} from cmp_after except all select {q} from cmp_before")
            if diff:
                result.differing_columns.append(c)
    return result


def compare_warehouses(
    before_db: Path,
    after_db: Path,
    before_cwd: Path | None = None,
    after_cwd: Path | None = None,
    ignored: tuple[str, ...] = DEFAULT_IGNORED,
    digits: int = 9,
) -> list[Comparison]:
    """Compare every relation of two DuckDB files (schema `raw` left out), sorted by name."""
    con = duckdb.connect()
    try:
        before = Warehouse(con, before_db, before_cwd or Path.cwd())
        after = Warehouse(con, after_db, after_cwd or Path.cwd())
        with before:
            rel_b = before.relations()
        with after:
            rel_a = after.relations()
        results = []
        for relation in sorted(set(rel_b) | set(rel_a)):
            if relation not in rel_a:
                results.append(Comparison(relation, "only-before"))
            elif relation not in rel_b:
                results.append(Comparison(relation, "only-after"))
            else:
                results.append(
                    compare_relation(
                        before, after, relation, rel_b[relation], rel_a[relation], set(ignored), digits
                    )
                )
        return results
    finally:
        con.close()


def format_table(results: list[Comparison]) -> str:
    """One line per relation, then the count of each status."""
    header = ("relation", "status", "rows before", "rows after", "only before", "only after", "notes")
    lines = []
    for r in results:
        notes = []
        if r.differing_columns:
            notes.append("values differ in " + ", ".join(r.differing_columns))
        if r.columns_only_before:
            notes.append("columns only before: " + ", ".join(r.columns_only_before))
        if r.columns_only_after:
            notes.append("columns only after: " + ", ".join(r.columns_only_after))
        both = r.status in ("equal", "different")
        lines.append(
            (
                r.relation,
                r.status,
                "" if r.rows_before is None else str(r.rows_before),
                "" if r.rows_after is None else str(r.rows_after),
                str(r.only_before) if both else "",
                str(r.only_after) if both else "",
                "; ".join(notes),
            )
        )
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header) - 1)]
    out = []
    for row in [header, *lines]:
        out.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1])
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    out.append("")
    out.append(", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    return "\n".join(out)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", required=True, help="git revision or project folder")
    p.add_argument("--after", default=str(ROOT), help="git revision or project folder (default: this tree)")
    p.add_argument("--customers", type=int, default=2000, help="customers in the generated dataset")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--raw", type=Path, help="use this raw folder instead of generating one")
    p.add_argument("--build-clock", help="'YYYY-MM-DD HH:MM:SS' UTC for both builds (default: now)")
    p.add_argument("--ignore-column", action="append", default=[], help="leave this column out (repeatable)")
    p.add_argument("--float-digits", type=int, default=9, help="significant digits floats are compared to")
    p.add_argument("--threads", default=os.environ.get("AUDIENCE_THREADS", "2"))
    p.add_argument("--keep", type=Path, help="work in this folder and keep it (warehouses, logs)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    clock = args.build_clock or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    work = args.keep or Path(tempfile.mkdtemp(prefix="compare_builds_"))
    work.mkdir(parents=True, exist_ok=True)
    created: list[Path] = []
    try:
        raw = args.raw
        if raw is None:
            raw = work / "raw"
            if not raw.exists():
                cmd = [AUDIENCE, "generate", "--customers", str(args.customers), "--seed", str(args.seed)]
                subprocess.run([*cmd, "--out", str(raw)], check=True, stdout=subprocess.DEVNULL)
        sides = []
        for label, rev in (("before", args.before), ("after", args.after)):
            project, new = checkout(rev, work, label)
            if new:
                created.append(project)
            sides.append(Side(label, project, work / label))
        print(f"raw data: {raw}; build_clock: {clock}")
        for side in sides:
            rc = build(side, raw.resolve(), clock, args.threads)
            log = side.work_dir / "build.log"
            print(f"dbt build {side.label} ({side.project_dir}): exit {rc}, log {log}")
        before, after = sides
        results = compare_warehouses(
            before.db_path,
            after.db_path,
            before.work_dir,
            after.work_dir,
            (*DEFAULT_IGNORED, *args.ignore_column),
            args.float_digits,
        )
        print(format_table(results))
        failed = any(s.returncode != 0 for s in sides)
        return 1 if failed or any(r.status == "different" for r in results) else 0
    finally:
        for project in created:
            remove = ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(project)]
            subprocess.run(remove, check=False)
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
