"""Our own output files: activation exports read back exactly with a CSV parser, paths with an
apostrophe and a blank build, and an export with nothing in it leaves no placeholder row.

One default `dbt build` on a small generated folder where every first name is `O'Brien, "Jr"`
and every customer id carries a comma, a quote and an apostrophe; the raw and export folders
have an apostrophe and a blank in their paths.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from audience import build_summary

from .conftest import DbtRun, generate, run_dbt_ok

pytestmark = pytest.mark.e2e

FIRST_NAME = 'O\'Brien, "Jr"'
ID_SUFFIX = ",\"q'"
EXPORT_MODELS = [
    "export_crm_email_csv",
    "export_crm_email_parquet",
    "export_ad_audiences_csv",
    "export_ad_audiences_parquet",
    "export_manifest",
]


@dataclass
class ExportBuild:
    run: DbtRun
    work: Path
    raw: Path
    exports: Path
    env: dict[str, str]


def rewrite_csv(path: Path, change) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        return
    for row in rows:
        change(row)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def awkward_values(raw: Path) -> None:
    def ids(row):
        if row.get("customer_id"):
            row["customer_id"] += ID_SUFFIX

    def names(row):
        ids(row)
        row["first_name"] = FIRST_NAME

    rewrite_csv(raw / "customers.csv", names)
    for path in raw.glob("*.csv"):
        if path.name != "customers.csv":
            rewrite_csv(path, ids)


@pytest.fixture(scope="module")
def export_build(tmp_path_factory) -> ExportBuild:
    work = tmp_path_factory.mktemp("exports_roundtrip")
    raw = work / "it's raw"
    exports = work / "exp o'rts"
    generate(raw, n_customers=300, seed=1)
    awkward_values(raw)
    env = {"AUDIENCE_EXPORT_PATH": str(exports)}
    run = run_dbt_ok("default dbt build", ["build"], raw, work / "a.duckdb", work, env)
    return ExportBuild(run, work, raw, exports, env)


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_default_build_passes_with_nothing_skipped(export_build):
    assert "SKIP=0" in export_build.run.output and "ERROR=0" in export_build.run.output


def test_crm_csv_reads_back_exactly(export_build):
    files = sorted((export_build.exports / "crm_email" / "csv").glob("segment=*/members_*.csv"))
    assert files, "no CRM file was written"
    read = [r for f in files for r in read_rows(f)]
    # people without a CRM record (or with its name quarantined) have no first name: empty field
    assert {r["first_name"] for r in read} == {FIRST_NAME, ""}
    assert all(r["customer_id"].endswith(ID_SUFFIX) for r in read)
    expected = export_build.run.query(
        "select segment, person_id, customer_id, coalesce(first_name, '') from int_activation_crm_email"
    )
    got = [(r["segment"], r["person_id"], r["customer_id"], r["first_name"]) for r in read]
    assert sorted(got) == sorted(expected)


def test_manifest_reads_back_and_counts_every_file(export_build):
    manifest = read_rows(export_build.exports / "manifest.csv")
    written = {str(p) for p in export_build.exports.rglob("segment=*/members_*.*")}
    assert {m["file_path"] for m in manifest} == written
    for m in manifest:
        if m["file_format"] == "csv":
            assert int(m["row_count"]) == len(read_rows(Path(m["file_path"])))
        assert m["segment"] and m["definition"]


def test_audience_export_writes_the_same_files_from_the_tables(export_build, tmp_path):
    """`audience export` (the step that writes the files on engines other than DuckDB), run on
    the DuckDB tables, writes the files the export_files materialization wrote, byte for byte
    for CSV and value for value for Parquet, and manifest.csv with the same rows."""
    out = tmp_path / "from tables"
    result = subprocess.run(
        [sys.executable, "-m", "audience.cli", "export", "--target", "duckdb",
         "--db", str(export_build.work / "a.duckdb"), "--out", str(out)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    by_build = sorted(p.relative_to(export_build.exports) for p in export_build.exports.rglob("members_*.*"))
    by_step = sorted(p.relative_to(out) for p in out.rglob("members_*.*"))
    assert by_build and by_step == by_build
    for rel in by_build:
        if rel.suffix == ".csv":
            assert (out / rel).read_bytes() == (export_build.exports / rel).read_bytes(), rel
        else:
            written, expected = pq.read_table(out / rel), pq.read_table(export_build.exports / rel)
            assert written.to_pylist() == expected.to_pylist(), rel
    assert read_rows(out / "manifest.csv") == read_rows(export_build.exports / "manifest.csv")


def test_nothing_to_export_leaves_no_placeholder(export_build):
    b = export_build
    run = run_dbt_ok(
        "exports with no segment type",
        ["run", "--select", "int_activation_crm_email", "int_activation_ad_audiences", *EXPORT_MODELS]
        + ["--vars", "{export_segment_types: []}"],
        b.raw,
        b.work / "a.duckdb",
        b.work,
        b.env,
    )
    assert not list(b.exports.rglob("members_*.*"))
    with (b.exports / "manifest.csv").open(newline="") as fh:
        lines = list(csv.reader(fh))
    assert len(lines) == 1 and lines[0][0] == "destination"  # the header, no row
    for model in EXPORT_MODELS:
        assert run.query(f"select count(*) from {model}") == [(0,)]
    assert "ad_audiences 0 files / 0 rows; crm_email 0 files / 0 rows" in build_summary.exports_line(
        b.exports
    )
