"""Progress and summaries: generator progress, the closing summary of a build."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import duckdb
import pytest

from audience import build_summary, cli, synth
from audience.bi_publish import default_bi_path, remove_file, replace_file


def _run_results(tmp_path: Path, statuses: dict[str, list[str]]) -> Path:
    results = [
        {"unique_id": f"{kind}.audience.n{i}", "status": status}
        for kind, seq in statuses.items()
        for i, status in enumerate(seq)
    ]
    path = tmp_path / "run_results.json"
    path.write_text(
        json.dumps(
            {
                "metadata": {"generated_at": "2026-01-02T03:04:05.678Z"},
                "elapsed_time": 42.4,
                "args": {"which": "build"},
                "results": results,
            }
        )
    )
    return path


def test_run_results_are_counted_by_kind_and_status(tmp_path):
    path = _run_results(
        tmp_path,
        {
            "model": ["success", "success", "error"],
            "test": ["pass", "warn", "fail", "skipped"],
            "unit_test": ["pass"],
            "exposure": ["no-op"],
        },
    )
    results = build_summary.read_run_results(path)
    assert results.failed == 2 and results.warned == 1 and results.skipped == 1
    line = build_summary.run_results_line(results)
    assert "dbt build FAILED in 42s, finished 2026-01-02 03:04:05 UTC" in line
    assert "2/3 models, 1/4 data tests, 1/1 unit tests" in line
    assert "1 warnings, 2 errors or failures, 1 skipped" in line

    ok = build_summary.read_run_results(_run_results(tmp_path, {"model": ["success"], "test": ["pass"]}))
    assert build_summary.run_results_line(ok).startswith("dbt build ok")
    assert build_summary.read_run_results(tmp_path / "missing.json") is None


def test_locations_say_plainly_what_is_missing(tmp_path):
    text = build_summary.locations_text(
        tmp_path / "wh.duckdb", tmp_path / "wh_bi.duckdb", tmp_path / "exports", tmp_path, tmp_path / "r.html"
    )
    assert "wh.duckdb  (missing" in text
    assert "not published yet" in text
    assert "no manifest.csv yet" in text
    assert "r.html  (not written)" in text
    assert "no run_results.json" in text


def test_as_of_line_says_how_the_date_was_chosen(tmp_path):
    db = tmp_path / "wh.duckdb"
    assert build_summary.as_of_line(db) == "not built yet"
    con = duckdb.connect(str(db))
    con.execute(
        "create table int_as_of_date as select date '2025-06-30' as as_of_date, "
        "'the latest date the data supports (shop.orders)' as chosen_how"
    )
    con.execute(
        "create table dq_reconciliation as select * from (values ('shop.orders', 3), "
        "('shop.order_items', null), ('crm.customers', 1)) t(source, after_as_of_date_rows)"
    )
    con.close()
    assert build_summary.as_of_line(db) == (
        "2025-06-30  (the latest date the data supports (shop.orders); "
        "4 clean rows dated after it, not counted)"
    )
    text = build_summary.locations_text(db, tmp_path / "bi.duckdb", tmp_path, tmp_path)
    assert "  as of       2025-06-30  (the latest date" in text


def test_exports_line_counts_files_and_rows(tmp_path):
    (tmp_path / "manifest.csv").write_text(
        "destination,row_count\ncrm_email,10\ncrm_email,5\nad_audiences,7\n"
    )
    line = build_summary.exports_line(tmp_path)
    assert "ad_audiences 1 files / 7 rows; crm_email 2 files / 15 rows" in line


@pytest.mark.parametrize(
    "manifest",
    [
        "destination,file_path,row_count\n",  # nothing to export: a header only
        "destination,file_path,row_count\n,,\n",  # the all-null row older builds wrote
    ],
)
def test_exports_line_with_nothing_exported_says_zero(tmp_path, manifest):
    (tmp_path / "manifest.csv").write_text(manifest)
    line = build_summary.exports_line(tmp_path)
    assert "(ad_audiences 0 files / 0 rows; crm_email 0 files / 0 rows)" in line


def test_default_bi_path(monkeypatch):
    monkeypatch.delenv("AUDIENCE_BI_PATH", raising=False)
    assert default_bi_path("warehouse/audience.duckdb") == Path("warehouse/audience_bi.duckdb")
    assert default_bi_path("/x/wh") == Path("/x/wh_bi.duckdb")
    monkeypatch.setenv("AUDIENCE_BI_PATH", "/bi/file.duckdb")
    assert default_bi_path("warehouse/audience.duckdb") == Path("/bi/file.duckdb")


def test_replace_file_is_a_rename_and_refuses_unsafe_cases(tmp_path):
    new, old = tmp_path / "bi.duckdb.tmp", tmp_path / "bi.duckdb"
    new.write_text("new")
    old.write_text("old")
    assert replace_file(str(new), str(old)) == str(old)
    assert old.read_text() == "new" and not new.exists()

    with pytest.raises(FileNotFoundError):
        replace_file(str(new), str(old))
    new.write_text("newer")
    Path(f"{new}.wal").write_text("unflushed")
    with pytest.raises(RuntimeError, match="checkpointed"):
        replace_file(str(new), str(old))
    assert old.read_text() == "new"
    other = tmp_path / "elsewhere"
    other.mkdir()
    Path(f"{new}.wal").unlink()
    with pytest.raises(ValueError, match="same folder"):
        replace_file(str(new), str(other / "bi.duckdb"))
    assert remove_file(str(new)) is True
    assert remove_file(str(new)) is False


def test_generate_reports_progress_per_chunk(tmp_path):
    calls = []
    counts = synth.generate(100, seed=3, out_dir=tmp_path, progress=lambda *a: calls.append(a), chunk_size=40)
    assert [(done, total) for done, total, _ in calls] == [(40, 100), (80, 100), (100, 100)]
    assert calls[-1][2]["orders"] == counts["orders"]
    assert calls[0][2]["orders"] < counts["orders"]


def test_generate_cli_prints_progress_and_a_table(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(synth, "generate", partial(synth.generate, chunk_size=50))
    assert cli.main(["generate", "--customers", "120", "--seed", "1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "generating 120 customers" in out
    assert "50/120 customers simulated" in out and "120/120 customers simulated" in out
    assert "orders" in out and "generated 120 customers" in out


@pytest.mark.e2e
def test_summary_command_after_a_build(demo_build, capsys, monkeypatch):
    work = demo_build.db_path.parent
    monkeypatch.delenv("AUDIENCE_BI_PATH", raising=False)
    code = cli.main(
        [
            "summary",
            "--db",
            str(demo_build.db_path),
            "--target-dir",
            str(demo_build.target_dir),
            "--exports",
            str(work / "exports"),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    n_members = demo_build.query("select count(*) from segment_membership")[0][0]
    (members_line,) = [line for line in lines if line.split()[:1] == ["segment_membership"]]
    assert int(members_line.split()[1].replace(",", "")) == n_members

    manifest = json.loads((demo_build.target_dir / "manifest.json").read_text())
    n_bi_tables = len(manifest["exposures"]["exposure.audience.bi_file"]["depends_on"]["nodes"])
    (bi_line,) = [line for line in lines if line.startswith("  BI file")]
    assert f"{default_bi_path(demo_build.db_path)}  ({n_bi_tables} tables, published" in bi_line
    assert any(line.startswith("  dbt         dbt build ok") for line in lines)
    (exports_line,) = [line for line in lines if line.startswith("  exports")]
    assert "manifest.csv  (ad_audiences" in exports_line and "crm_email" in exports_line


def test_coverage_text_lists_left_out_columns_and_inactive_rules(tmp_path):
    import duckdb

    db = tmp_path / "w.duckdb"
    assert build_summary.coverage_text(db) == ""  # no warehouse: nothing to say
    con = duckdb.connect(str(db))
    con.execute(
        "create table dq_feature_coverage as select * from (values "
        "('order_count', true, null, 1), ('sessions_90d', false, 'no web events', 2), "
        "('email_open_rate', false, 'no email events', 3), ('sessions_30d', false, 'no web events', 4)"
        ") as t(column_name, is_informative, reason, column_position)"
    )
    con.execute(
        "create table rule_segment_members_status as select * from (values "
        "('vip', true, null, 1), ('high_engagement_buyers', false, 'uses columns with no information', 2)"
        ") as t(segment_name, is_active, inactive_reason, rule_order)"
    )
    con.close()
    text = build_summary.coverage_text(db)
    assert "left out: sessions_90d, sessions_30d (no web events)" in text
    assert "left out: email_open_rate (no email events)" in text
    assert "inactive rule: high_engagement_buyers (uses columns with no information)" in text
    assert "order_count" not in text and "vip" not in text
