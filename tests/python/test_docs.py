"""Documentation site.

`dbt docs generate` must succeed, and no mart, quality or Python model and none of the columns
its built table really has (catalog.json, read from the warehouse) may lack a description in the
manifest. The concept doc blocks must be used by the YAML, and the exposures declared.
The checker itself (audience.docs_coverage) is tested on small hand-made artifacts first, so the
end-to-end check is known to be able to fail.
"""

from __future__ import annotations

import json

import pytest

from audience import docs_coverage

from .conftest import run_dbt

CONCEPT_DOCS = ("rfm", "bg_nbd", "gamma_gamma", "churn_label", "identity_stitching", "bi_file")
EXPOSURES = (
    "bi_file",
    "segment_dashboard",
    "segment_report",
    "model_monitoring",
    "crm_email_campaigns",
    "ad_platform_audiences",
)


def _model(path: str, description: str, columns: dict[str, str]) -> dict:
    name = path.rsplit("/", 1)[-1].split(".")[0]
    return {
        "resource_type": "model",
        "name": name,
        "original_file_path": path,
        "description": description,
        "columns": {c: {"name": c, "description": d} for c, d in columns.items()},
    }


def _catalog_node(columns: list[str]) -> dict:
    return {"columns": {c: {"name": c, "index": i, "type": "VARCHAR"} for i, c in enumerate(columns, 1)}}


def test_coverage_finds_every_kind_of_gap():
    manifest = {
        "nodes": {
            "model.p.good": _model("models/marts/x/good.sql", "Fine.", {"id": "Key.", "v": "Value."}),
            "model.p.no_desc": _model("models/marts/x/no_desc.sql", "  ", {"id": "Key."}),
            "model.p.extra_col": _model("models/quality/extra_col.sql", "Audit.", {"id": "Key."}),
            "model.p.blank_col": _model("python_models/s/blank_col.py", "Py.", {"id": "Key.", "v": ""}),
            "model.p.stale": _model("models/marts/x/stale.sql", "Stale.", {"id": "Key.", "old": "Gone."}),
            "model.p.unbuilt": _model("models/marts/x/unbuilt.sql", "Not built.", {"id": "Key."}),
            "model.p.internal": _model("models/intermediate/internal.sql", "", {}),
            "test.p.some_test": {
                "resource_type": "test",
                "name": "t",
                "original_file_path": "models/marts/x.yml",
            },
        }
    }
    catalog = {
        "nodes": {
            "model.p.good": _catalog_node(["id", "V"]),
            "model.p.no_desc": _catalog_node(["id"]),
            "model.p.extra_col": _catalog_node(["id", "undocumented"]),
            "model.p.blank_col": _catalog_node(["id", "v"]),
            "model.p.stale": _catalog_node(["id"]),
            "model.p.internal": _catalog_node(["secret"]),
        }
    }
    result = docs_coverage.check(manifest, catalog)
    assert sorted(result.problems) == sorted(
        [
            "no_desc: the model has no description",
            "extra_col.undocumented: no description",
            "blank_col.v: no description",
            "stale.old: documented, but the built relation has no such column",
            "unbuilt: not in catalog.json (not built?), its columns cannot be checked",
        ]
    )
    assert "internal" not in result.models_checked
    assert result.columns_checked == 2 + 1 + 2 + 2 + 1
    assert not result.ok

    fixed = json.loads(json.dumps(manifest))
    fixed["nodes"]["model.p.no_desc"]["description"] = "Now described."
    fixed["nodes"]["model.p.extra_col"]["columns"]["undocumented"] = {"description": "Now described."}
    fixed["nodes"]["model.p.blank_col"]["columns"]["v"]["description"] = "Now described."
    del fixed["nodes"]["model.p.stale"]["columns"]["old"]
    del fixed["nodes"]["model.p.unbuilt"]
    assert docs_coverage.check(fixed, catalog).ok


@pytest.mark.e2e
def test_dbt_docs_generate_documents_every_mart_and_column(demo_build, tmp_path):
    # from the demo build's folder: its export views read files relative to it
    run = run_dbt(
        ["docs", "generate"], demo_build.raw_dir, demo_build.db_path, tmp_path, cwd=demo_build.db_path.parent
    )
    assert run.returncode == 0, run.output[-4000:]
    target = run.target_dir
    assert (target / "index.html").exists()

    result = docs_coverage.check_target(target)
    assert result.problems == [], "undocumented:\n" + "\n".join(result.problems)

    # the check really read the built tables: every BI-facing mart with its real columns
    catalog = json.loads((target / "catalog.json").read_text())
    profile_columns = catalog["nodes"]["model.audience.customer_profiles"]["columns"]
    assert len(profile_columns) >= 40
    for mart in (
        "customer_profiles",
        "customer_scores",
        "customer_clusters",
        "segment_membership",
        "segment_personas",
        "dq_reconciliation",
        "dq_quarantine",
        "segment_transitions",
    ):
        assert mart in result.models_checked
    assert result.columns_checked >= 300

    manifest = json.loads((target / "manifest.json").read_text())
    descriptions = [n.get("description", "") for n in manifest["nodes"].values()]
    descriptions += [
        c.get("description", "") for n in manifest["nodes"].values() for c in n.get("columns", {}).values()
    ]
    descriptions += [e.get("description", "") for e in manifest["exposures"].values()]
    for doc in CONCEPT_DOCS:
        block = manifest["docs"][f"doc.audience.{doc}"]["block_contents"].strip()
        assert block, doc
        assert any(block in d for d in descriptions), f"doc block {doc} is used by no description"

    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    for name in EXPOSURES:
        assert name in exposures, name
        assert exposures[name]["description"].strip(), name
        assert exposures[name]["depends_on"]["nodes"], name
