"""`audience report`: one self-contained HTML file whose figures agree with the warehouse tables."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from audience import cli
from audience.charts import fmt_pct
from audience.segment_report import SECTIONS, load_report_data, render_report
from tests.python.html_check import StrictParser, inside, parse, table_rows, table_text, texts_outside


def _write_report(db: Path, out: Path, capsys) -> tuple[str, StrictParser]:
    assert cli.main(["report", "--db", str(db), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert str(out.resolve()) in printed  # the command says where the report is
    doc = out.read_text(encoding="utf-8")
    return doc, parse(doc)


@pytest.fixture(scope="module")
def demo_report(demo_build, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("report")
    out = out_dir / "audience_report.html"
    assert cli.main(["report", "--db", str(demo_build.db_path), "--out", str(out)]) == 0
    doc = out.read_text(encoding="utf-8")
    return out, doc, parse(doc)


def _notes(p: StrictParser, section_id: str) -> list[str]:
    return [e.text for e in inside(p, section_id, "p", "note")]


# ---------------------------------------------------------------- one self-contained file


@pytest.mark.e2e
def test_report_is_one_self_contained_file(demo_report):
    out, doc, p = demo_report
    assert [f.name for f in out.parent.iterdir()] == [out.name]  # no side files (images, css, js)
    assert p.doctype is not None and p.doctype.lower() == "doctype html"
    assert not [e for e in p.elements if e.tag in ("script", "link", "iframe", "object", "embed")]
    for e in p.elements:
        for attr in ("src", "href", "xlink:href", "data", "action"):
            value = e.attrs.get(attr)
            if value is not None:
                # only in-page anchors and data: URIs; nothing fetched from a server or another file
                assert value.startswith(("#", "data:")), f"<{e.tag} {attr}={value!r}>"
    assert not re.search(r"url\(\s*['\"]?(?!data:|#)", doc), "CSS must not load anything"
    assert "@import" not in doc and "@font-face" not in doc
    assert len([e for e in p.elements if e.tag == "svg"]) >= 10  # the charts are inline SVG


@pytest.mark.e2e
def test_clv_box_plot_is_on_a_log_axis_and_percentage_ticks_are_minimal(demo_report):
    _, _, p = demo_report
    assert p.ids["fig-clv-box"].attrs.get("data-scale") == "log"
    clv_ticks = [e.text for e in inside(p, "fig-clv-box", "g", "xtick")]
    # 0 or powers of ten, then the rounded end of the axis
    assert len(clv_ticks) >= 4 and all(t == "0" or re.fullmatch(r"1(,?0)*", t) for t in clv_ticks[:-1])
    assert len(inside(p, "fig-clv-box", "g", "box")) >= 2
    pct_ticks = [e.text for f in ("fig-churn-box", "fig-segment-shares") for e in inside(p, f, "g", "xtick")]
    assert len(pct_ticks) >= 8
    assert all(re.fullmatch(r"\d+(\.\d*[1-9])?%", t) for t in pct_ticks), pct_ticks  # 20%, not 20.0%


@pytest.mark.e2e
def test_chart_text_stays_inside_every_chart(demo_report):
    _, doc, _ = demo_report
    svgs = re.findall(r"<svg.*?</svg>", doc, re.S)
    assert len(svgs) >= 10
    assert [bad for svg in svgs for bad in texts_outside(svg)] == []


@pytest.mark.e2e
def test_report_is_well_formed_html_with_every_section(demo_report):
    _, doc, p = demo_report
    assert p.errors == []
    for sid, heading in SECTIONS:
        section = p.ids[sid]
        assert section.tag == "section"
        h2 = [e for e in inside(p, sid, "h2")]
        assert [h.text for h in h2] == [heading]
        assert f'href="#{sid}"' in doc  # in the navigation
    # the demo build has data for every section except the history of the membership snapshot,
    # which has one run only
    for sid, _ in SECTIONS:
        if sid != "transitions":
            assert _notes(p, sid) == [], sid
    (note,) = _notes(p, "transitions")
    assert "not available because the membership snapshot has only one run so far" in note


# ---------------------------------------------------------------- figures agree with the warehouse


@pytest.mark.e2e
def test_reconciliation_and_quarantine_figures_equal_the_dq_tables(demo_build, demo_report):
    _, _, p = demo_report
    cols = [
        "raw_rows",
        "rejected_lines",
        "clean_rows",
        "quarantined_rows",
        "duplicate_rows_removed",
        "conflicting_keys",
        "unaccounted_rows",
    ]
    want = {
        r[0]: [str(v) for v in r[1:]]
        for r in demo_build.query(f"select source, {', '.join(cols)} from dq_reconciliation")
    }
    got = {r["source"]: [r[c] for c in cols] for r in table_rows(p, "dq-reconciliation")}
    assert got == want
    printed = {r["source"]: r["quarantined_rows"] for r in table_text(p, "dq-reconciliation")}
    assert printed["shop.orders"] == f"{int(want['shop.orders'][3]):,}"

    top = demo_build.query(
        "select source, reason_code, count(*) as n from dq_quarantine "
        "group by all order by n desc, 1, 2 limit 15"
    )
    assert [
        (r["source"], r["reason_code"], int(r["quarantined_rows"])) for r in table_rows(p, "dq-top-reasons")
    ] == top
    bars = inside(p, "fig-dq-reasons", "g", "bar")
    assert [int(b.attrs["data-value"]) for b in bars] == [n for *_, n in top]

    n_files = demo_build.query("select count(*) from dq_raw_files")[0][0]
    assert sum(int(r["files"]) for r in table_rows(p, "dq-file-status")) == n_files


@pytest.mark.e2e
def test_chosen_k_and_curves_equal_cluster_k_selection(demo_build, demo_report):
    _, _, p = demo_report
    rows = demo_build.query("select k, wcss, silhouette, is_chosen from cluster_k_selection order by k")
    (chosen,) = [k for k, _, _, is_chosen in rows if is_chosen]
    assert int(p.ids["chosen-k"].attrs["data-value"]) == chosen
    assert f"Chosen k = {chosen}" in p.ids["chosen-k"].text
    for fig, col in (("fig-elbow", 1), ("fig-silhouette", 2)):
        (marker,) = inside(p, fig, "g", "marker")
        assert float(marker.attrs["data-x"]) == chosen  # drawn at its x: test_charts
        pts = inside(p, fig, "g", "point")
        assert [(float(c.attrs["data-x"]), float(c.attrs["data-y"])) for c in pts] == [
            (float(r[0]), pytest.approx(r[col])) for r in rows
        ]
    assert [int(r["k"]) for r in table_rows(p, "k-selection-table")] == [r[0] for r in rows]


@pytest.mark.e2e
def test_segment_sizes_and_shares_equal_customer_clusters(demo_build, demo_report):
    _, _, p = demo_report
    sizes = dict(demo_build.query("select cluster_id, count(*) from customer_clusters group by 1"))
    total = sum(sizes.values())
    revenue = dict(
        demo_build.query(
            "select c.cluster_id, sum(coalesce(p.total_revenue, 0)) from customer_clusters as c "
            "left join customer_profiles as p using (person_id) group by 1"
        )
    )
    total_revenue = sum(revenue.values())
    rows = table_rows(p, "segment-sizes-table")
    assert sorted(int(r["cluster_id"]) for r in rows) == sorted(sizes)
    for r, printed in zip(rows, table_text(p, "segment-sizes-table"), strict=True):
        cid = int(r["cluster_id"])
        assert int(r["size"]) == sizes[cid]
        assert float(r["share"]) == pytest.approx(sizes[cid] / total)
        assert printed["share"] == fmt_pct(sizes[cid] / total)
        assert float(r["revenue_share"]) == pytest.approx(revenue[cid] / total_revenue)
    # the persona model computed the same shares independently
    personas = demo_build.query("select cluster_id, share, revenue_share from segment_personas")
    by_id = {int(r["cluster_id"]): r for r in rows}
    for cid, share, revenue_share in personas:
        assert float(by_id[cid]["share"]) == pytest.approx(share)
        assert float(by_id[cid]["revenue_share"]) == pytest.approx(revenue_share)
    # one bar per segment, as long as its size
    bars = inside(p, "fig-segment-sizes", "g", "bar")
    assert len(bars) == len(sizes)
    assert sorted(int(b.attrs["data-value"]) for b in bars) == sorted(sizes.values())
    assert len(inside(p, "fig-segment-shares", "g", "bar")) == 2 * len(sizes)


@pytest.mark.e2e
def test_persona_heatmap_shows_feature_means_by_segment(demo_build, demo_report):
    _, _, p = demo_report
    df = demo_build.df("select * from segment_personas order by cluster_id")
    features = [c[2:] for c in df.columns if c.startswith("z_")]
    cells = inside(p, "fig-persona-heatmap", "g", "cell")
    assert len(cells) == len(df) * len(features)
    for cell in cells:
        cid = int(cell.attrs["data-row"].split(" · ")[0])
        row = df[df.cluster_id == cid].iloc[0]
        assert float(cell.attrs["data-value"]) == pytest.approx(row[f"z_{cell.attrs['data-col']}"])
    names = {r["persona_name"] for r in table_rows(p, "personas-table")}
    assert names == set(df.persona_name)


@pytest.mark.e2e
def test_clv_and_churn_distributions_by_segment_equal_customer_scores(demo_build, demo_report):
    _, _, p = demo_report
    want = {
        r[0]: r[1:]
        for r in demo_build.query(
            "select c.cluster_id, count(*), avg(s.clv), median(s.clv), sum(s.clv), avg(s.churn_probability) "
            "from customer_scores as s join customer_clusters as c using (person_id) group by 1"
        )
    }
    rows = table_rows(p, "scores-table")
    assert sorted(int(r["cluster_id"]) for r in rows) == sorted(want)
    for r in rows:
        n, clv_mean, clv_median, clv_total, churn_mean = want[int(r["cluster_id"])]
        assert int(r["scored_people"]) == n
        assert float(r["clv_mean"]) == pytest.approx(clv_mean)
        assert float(r["clv_median"]) == pytest.approx(clv_median)
        assert float(r["clv_total"]) == pytest.approx(clv_total)
        assert float(r["churn_mean"]) == pytest.approx(churn_mean)
    for fig in ("fig-clv-box", "fig-churn-box"):
        boxes = inside(p, fig, "g", "box")
        assert sorted(int(b.attrs["data-n"]) for b in boxes) == sorted(v[0] for v in want.values())
    medians = {
        b.attrs["data-group"]: float(b.attrs["data-median"]) for b in inside(p, "fig-clv-box", "g", "box")
    }
    for label, median in medians.items():
        assert median == pytest.approx(want[int(label.split(" · ")[0])][2])


@pytest.mark.e2e
def test_validation_figures_equal_the_validation_tables(demo_build, demo_report):
    _, _, p = demo_report
    churn = demo_build.query("select model, auc, pr_auc, is_selected from churn_model_comparison")
    rows = {r["model"]: r for r in table_rows(p, "churn-models-table")}
    assert set(rows) == {m for m, *_ in churn}
    for model, auc, pr_auc, is_selected in churn:
        assert float(rows[model]["auc"]) == pytest.approx(auc)
        assert float(rows[model]["pr_auc"]) == pytest.approx(pr_auc)
        assert rows[model]["is_selected"] == str(is_selected)
    assert len(inside(p, "fig-churn-models", "g", "bar")) == 2 * len(churn)

    calib = demo_build.query(
        "select frequency_bucket, predicted_purchases, actual_purchases from clv_holdout_calibration"
    )
    rows = {r["frequency_bucket"]: r for r in table_rows(p, "clv-calibration-table")}
    assert set(rows) == {b for b, *_ in calib}
    for bucket, predicted, actual in calib:
        assert float(rows[bucket]["predicted_purchases"]) == pytest.approx(predicted)
        assert float(rows[bucket]["actual_purchases"]) == pytest.approx(actual)
    assert list(rows)[-1] == "total"
    # one predicted and one actual bar per frequency bucket ('total' only in the table)
    assert len(inside(p, "fig-clv-calibration", "g", "bar")) == 2 * (len(calib) - 1)

    n_validation = demo_build.query("select count(*) from cluster_validation")[0][0]
    assert len(table_rows(p, "cluster-validation-table")) == n_validation


@pytest.mark.e2e
def test_monitoring_figures_equal_the_cluster_registry_tables(demo_build, demo_report):
    _, doc, p = demo_report
    # sections in order: monitoring right after validation
    assert doc.index('<section id="validation"') < doc.index('<section id="monitoring"')
    assert doc.index('<section id="monitoring"') < doc.index('<section id="transitions"')

    history = demo_build.query(
        "select model_version, ari_vs_previous, share_changed_vs_previous, is_current "
        "from cluster_model_history order by fit_sequence"
    )
    rows = table_rows(p, "model-versions-table")
    assert [r["model_version"] for r in rows] == [v for v, *_ in history]
    (current,) = [v for v, *_, is_current in history if is_current]
    assert p.ids["current-model-version"].attrs["data-value"] == current
    assert f"{len(history)} fitted version" in p.ids["current-model-version"].text
    assert [r["model_version"] for r in table_rows(p, "model-versions-table") if r["current"]] == [current]
    for r, (_, ari, share, _) in zip(rows, history, strict=True):
        assert (r["ari_vs_previous"] == "") == (ari is None)
        if ari is not None:
            assert float(r["ari_vs_previous"]) == pytest.approx(ari)
            assert float(r["share_changed_vs_previous"]) == pytest.approx(share)

    latest = history[-1][0]
    matches = demo_build.query(
        f"select cluster_id, match_status from cluster_id_matches where model_version = '{latest}' "
        "order by cluster_id"
    )
    assert matches
    rows = table_rows(p, "id-matches-table")
    assert [(int(r["cluster_id"]), r["match_status"]) for r in rows] == matches
    names = dict(demo_build.query("select cluster_id, persona_name from segment_personas"))
    for r in rows:
        if r["match_status"] != "vanished":
            assert r["segment"] == f"{r['cluster_id']} · {names[int(r['cluster_id'])]}"

    psi = demo_build.query(
        "select feature, value, threshold, is_refit_due from cluster_drift "
        "where metric = 'psi' order by feature"
    )
    assert len(psi) == len(demo_build.query("select distinct feature from cluster_model"))
    bars = inside(p, "fig-drift-psi", "g", "bar")
    assert len(bars) == len(psi)  # one bar per drift feature
    assert [(b.attrs["data-category"], float(b.attrs["data-value"])) for b in bars] == [
        (f, pytest.approx(v)) for f, v, *_ in psi
    ]
    (line,) = inside(p, "fig-drift-psi", "g", "reference")
    assert float(line.attrs["data-x"]) == pytest.approx(psi[0][2])  # the threshold stored in the table
    ((ratio, ratio_due),) = demo_build.query(
        "select value, is_refit_due from cluster_drift where metric = 'mean_squared_distance_ratio'"
    )
    assert float(p.ids["distance-ratio"].attrs["data-value"]) == pytest.approx(ratio)
    due = any(d for *_, d in psi) or ratio_due
    verdict = p.ids["refit-verdict"]
    assert verdict.attrs["data-value"] == ("due" if due else "not due")
    assert verdict.text.startswith("Refit due" if due else "Refit not due")
    assert len(table_rows(p, "drift-table")) == len(psi) + 1

    top = demo_build.df("select cluster_id, top_feature_1 from customer_clusters")
    counts = top.groupby(["cluster_id", "top_feature_1"]).size()
    for r in table_rows(p, "top-features-table"):
        per = counts.loc[int(r["cluster_id"])]
        assert int(r["people"]) == per.max() and per[r["top_feature_1"]] == per.max()
        assert float(r["share"]) == pytest.approx(per.max() / per.sum())
    assert len(table_rows(p, "top-features-table")) == top.cluster_id.nunique()


def _registry_warehouse(db: Path, psi: dict[str, float], ratio: float) -> None:
    """A warehouse with only the cluster registry marts: two fits, known matches and drift."""
    con = duckdb.connect(str(db))
    con.execute(
        "create table cluster_model_history as select * from (values "
        "('v1', 1, 3, null, null, null, 0, 3, 0, false), "
        "('v2', 2, 3, 'v1', 0.8, 0.12, 2, 1, 1, true)) as t(model_version, fit_sequence, k, "
        "previous_model_version, ari_vs_previous, share_changed_vs_previous, n_matched_clusters, "
        "n_new_clusters, n_vanished_clusters, is_current)"
    )
    con.execute(
        "create table cluster_id_matches as select * from (values "
        "('v1', 1, null, 'new', 1, null, null), ('v1', 2, null, 'new', 2, null, null), "
        "('v1', 3, null, 'new', 3, null, null), "
        "('v2', 1, 'v1', 'matched', 1, 0.1, 0.9), ('v2', 2, 'v1', 'matched', 3, 0.2, 0.8), "
        "('v2', 3, 'v1', 'vanished', null, 1.7, 0.0), ('v2', 4, 'v1', 'new', 2, 1.5, null)) "
        "as t(model_version, cluster_id, previous_model_version, match_status, fit_cluster_id, "
        "centroid_distance, member_jaccard)"
    )
    con.execute(
        "create table segment_personas as select * from "
        "(values (1, 'Loyal'), (2, 'Lapsing'), (4, 'Newcomers')) as t(cluster_id, persona_name)"
    )
    con.execute(
        "create table cluster_drift (model_version varchar, metric varchar, feature varchar, "
        "fit_value double, current_value double, value double, threshold double, is_refit_due boolean)"
    )
    con.executemany(
        "insert into cluster_drift values ('v2', 'psi', ?, null, null, ?, 0.2, ? > 0.2)",
        [(f, v, v) for f, v in psi.items()],
    )
    con.execute(
        "insert into cluster_drift values "
        "('v2', 'mean_squared_distance_ratio', null, 2.0, ?, ?, 1.25, ? > 1.25)",
        [2.0 * ratio, ratio, ratio],
    )
    con.close()


@pytest.mark.parametrize(
    ("psi", "ratio", "verdict", "named"),
    [
        ({"recency_days": 0.05, "order_count": 0.01}, 1.1, "not due", []),
        ({"recency_days": 0.35, "order_count": 0.01}, 1.1, "due", ["recency_days (0.350 > 0.2)"]),
        ({"recency_days": 0.05, "order_count": 0.01}, 1.4, "due", ["distance ratio 1.40 > 1.25"]),
    ],
)
def test_refit_verdict_follows_the_drift_thresholds(tmp_path, capsys, psi, ratio, verdict, named):
    db = tmp_path / "registry.duckdb"
    _registry_warehouse(db, psi, ratio)
    data = load_report_data(db).monitoring
    assert data.refit_due is (verdict == "due")
    assert (data.current_version, data.latest_version) == ("v2", "v2")
    doc, p = _write_report(db, tmp_path / "r.html", capsys)
    assert p.errors == []
    el = p.ids["refit-verdict"]
    assert el.attrs["data-value"] == verdict
    assert el.text.startswith(f"Refit {verdict} for model v2")
    for text in named:
        assert text in el.text
    if verdict == "not due":
        assert "above its threshold" not in el.text and ">" not in el.text
    bars = inside(p, "fig-drift-psi", "g", "bar")
    assert {b.attrs["data-category"]: float(b.attrs["data-value"]) for b in bars} == psi
    assert [r["model_version"] for r in table_rows(p, "model-versions-table") if r["current"]] == ["v2"]
    # the latest fit's ids, named by the current personas; the vanished id keeps no persona
    matches = table_rows(p, "id-matches-table")
    assert [(r["cluster_id"], r["match_status"], r["segment"]) for r in matches] == [
        ("1", "matched", "1 · Loyal"),
        ("2", "matched", "2 · Lapsing"),
        ("3", "vanished", "Segment 3"),
        ("4", "new", "4 · Newcomers"),
    ]
    svgs = re.findall(r"<svg.*?</svg>", doc, re.S)
    assert [bad for svg in svgs for bad in texts_outside(svg)] == []
    # no customer_clusters here: the standout-features table says why it is missing
    why = "standout features per segment are not available because"
    assert any(why in n for n in _notes(p, "monitoring"))


# ---------------------------------------------------------------- sections without data


@pytest.mark.e2e
def test_transactions_only_warehouse_gives_not_available_notes_not_a_crash(
    transactions_only_build, tmp_path, capsys
):
    assert transactions_only_build.returncode == 0, transactions_only_build.output[-4000:]
    doc, p = _write_report(transactions_only_build.db_path, tmp_path / "r.html", capsys)
    assert p.errors == []
    assert all(sid in p.ids for sid, _ in SECTIONS)
    (dq_note,) = _notes(p, "data-quality")
    assert "not available because no raw rows were landed for these sources" in dq_note
    for source in ("web.events", "email.events", "crm.customers", "survey.responses"):
        assert source in dq_note
    # only orders: the web and email features do not vary, so the clustering leaves them out and
    # the report says so where k is chosen; the personas do not speak of them at all
    left_out = " ".join(_notes(p, "k-selection"))
    assert "Feature sessions_90d left out of the clustering" in left_out
    assert "Feature email_open_rate left out of the clustering" in left_out
    personas = transactions_only_build.query("select description from segment_personas")
    assert personas and not any("session" in d or "email" in d for (d,) in personas)
    assert any("not available because" in n for n in _notes(p, "transitions"))
    # the rest is built from orders alone
    sizes = dict(
        transactions_only_build.query("select cluster_id, count(*) from customer_clusters group by 1")
    )
    assert {int(r["cluster_id"]): int(r["size"]) for r in table_rows(p, "segment-sizes-table")} == sizes


def test_empty_warehouse_renders_a_note_in_every_section(tmp_path, capsys):
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    doc, p = _write_report(db, tmp_path / "out" / "r.html", capsys)
    assert p.errors == []
    for sid, _ in SECTIONS:
        notes = _notes(p, sid)
        assert notes and all("not available because" in n for n in notes), (sid, notes)
    assert "<svg" not in doc


def test_missing_warehouse_is_a_clear_error(tmp_path, capsys):
    assert cli.main(["report", "--db", str(tmp_path / "nope.duckdb"), "--out", str(tmp_path / "r.html")]) == 1
    assert "no warehouse at" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def _history_warehouse(db: Path) -> list[dt.datetime]:
    """A warehouse with only a membership history: three snapshot runs with known spells."""
    t1, t2, t3 = (dt.datetime(2026, 1, d, 6, 0) for d in (1, 2, 3))
    spells = [
        # membership, segment, valid_from, valid_to
        ("m1", "x", t1, None),
        ("m2", "x", t1, t2),
        ("m3", "x", t2, t3),
        ("m4", "y", t3, None),
        ("m5", "y", t1, None),
    ]
    con = duckdb.connect(str(db))
    con.execute(
        "create table segment_membership_snapshot (membership_id varchar, person_id varchar, "
        "segment_type varchar, segment_name varchar, reason varchar, dbt_valid_from timestamp, "
        "dbt_valid_to timestamp)"
    )
    con.executemany(
        "insert into segment_membership_snapshot values (?, ?, 'rule', ?, 'r', ?, ?)",
        [(m, f"p_{m}", seg, a, b) for m, seg, a, b in spells],
    )
    con.execute(
        "create table segment_transitions as "
        "select membership_id, person_id, segment_type, segment_name, 'entered' as transition, "
        "dbt_valid_from as transition_at, cast(dbt_valid_from as date) as transition_date, "
        "dbt_valid_from = (select min(dbt_valid_from) from segment_membership_snapshot) as is_initial_load "
        "from segment_membership_snapshot union all "
        "select membership_id, person_id, segment_type, segment_name, 'exited', dbt_valid_to, "
        "cast(dbt_valid_to as date), false from segment_membership_snapshot where dbt_valid_to is not null"
    )
    con.close()
    return [t1, t2, t3]


def test_transitions_count_members_at_each_snapshot_run(tmp_path, capsys):
    db = tmp_path / "history.duckdb"
    runs = _history_warehouse(db)
    data = load_report_data(db)
    assert data.transitions.run_times == runs
    # x: m1, m2 at t1; m1, m3 at t2 (m2 left at t2); m1 at t3. y: m5; m5; m5 and m4.
    assert data.transitions.members == {"rule": {"x": [2, 2, 1], "y": [1, 1, 2]}}
    doc, p = _write_report(db, tmp_path / "r.html", capsys)
    assert _notes(p, "transitions") == []
    pts = inside(p, "fig-transitions-rule", "g", "point")
    got = {(c.attrs["data-series"], float(c.attrs["data-x"])): float(c.attrs["data-y"]) for c in pts}
    assert got == {("x", 0): 2, ("x", 1): 2, ("x", 2): 1, ("y", 0): 1, ("y", 1): 1, ("y", 2): 2}
    changes = {
        (r["transition_date"], r["segment_name"]): (int(r["entered"]), int(r["exited"]))
        for r in table_rows(p, "transitions-table")
    }
    assert changes == {
        ("2026-01-02", "x"): (1, 1),  # m3 entered, m2 exited
        ("2026-01-03", "x"): (0, 1),  # m3 exited
        ("2026-01-03", "y"): (1, 0),  # m4 entered
    }


def test_text_from_the_data_is_escaped(tmp_path):
    db = tmp_path / "evil.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        "create table segment_personas as select 1 as cluster_id, "
        "'<script>alert(1)</script> & co' as persona_name, "
        "'<img src=x onerror=alert(1)>' as description, 'a' as top_categories, 10 as size, 1.0 as share, "
        "1.0 as revenue_share, 2.0 as mean_f, 0.5 as z_f"
    )
    con.close()
    doc = render_report(load_report_data(db))
    assert "<script" not in doc and "<img" not in doc
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in doc
    assert parse(doc).errors == []


def test_cli_defaults_to_the_env_warehouse_and_the_reports_folder(tmp_path, monkeypatch, capsys):
    db = tmp_path / "wh.duckdb"
    _history_warehouse(db)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AUDIENCE_DUCKDB_PATH", str(db))
    assert cli.main(["report"]) == 0
    out = tmp_path / "reports" / "audience_report.html"
    assert str(out) in capsys.readouterr().out
    assert parse(out.read_text(encoding="utf-8")).errors == []


def test_a_locked_warehouse_is_a_clear_error(tmp_path, capsys):
    db = tmp_path / "wh.duckdb"
    _history_warehouse(db)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(db)!r}); print('ready', flush=True); "
            "sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert cli.main(["report", "--db", str(db), "--out", str(tmp_path / "r.html")]) == 1
        assert "cannot open the warehouse" in capsys.readouterr().err
        assert not (tmp_path / "r.html").exists()
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
