"""audience.exporter (`audience export`): files per segment, old files removed, and the check
against export_manifest. The files themselves are compared with the DuckDB materialization's in
test_exports_roundtrip.py and with a Spark build in test_spark_python_models.py."""

from __future__ import annotations

import pandas as pd
import pytest

from audience.exporter import ExportMismatch, write_exports


def tables(ads_rows: int, manifest_ads_count: int | None = None, extra_manifest_row: bool = False):
    ads = pd.DataFrame({"segment": ["rule__b"] * ads_rows + ["rule__a"],
                        "email_sha256": [f"{i:064x}" for i in range(ads_rows, 0, -1)] + ["f" * 64]})
    crm = pd.DataFrame({"segment": pd.Series([], dtype=object), "person_id": pd.Series([], dtype=object)})
    b_count = ads_rows if manifest_ads_count is None else manifest_ads_count
    rows = [("ad_audiences", fmt, seg, n)
            for fmt in ("csv", "parquet") for seg, n in (("rule__a", 1), ("rule__b", b_count))]
    if extra_manifest_row:
        rows.append(("crm_email", "csv", "rule__a", 1))
    manifest = pd.DataFrame(rows, columns=["destination", "file_format", "segment", "row_count"])
    found = {"export_ad_audiences_csv": ads, "export_ad_audiences_parquet": ads,
             "export_crm_email_csv": crm, "export_crm_email_parquet": crm, "export_manifest": manifest}
    return found.__getitem__


def test_one_sorted_file_per_segment_and_no_file_for_no_rows(tmp_path):
    stale = tmp_path / "crm_email" / "csv" / "segment=rule__gone" / "members_0.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("segment,person_id\nrule__gone,p1\n")
    written = write_exports(tables(3), tmp_path)
    assert sorted(str(w.path.relative_to(tmp_path)) for w in written) == [
        "ad_audiences/csv/segment=rule__a/members_0.csv", "ad_audiences/csv/segment=rule__b/members_0.csv",
        "ad_audiences/parquet/segment=rule__a/members_0.parquet",
        "ad_audiences/parquet/segment=rule__b/members_0.parquet",
    ]
    assert not stale.exists() and not stale.parent.exists()  # the empty CRM table leaves no file
    lines = (tmp_path / "ad_audiences" / "csv" / "segment=rule__b" / "members_0.csv").read_text().splitlines()
    assert lines == ["segment,email_sha256"] + [f"rule__b,{i:064x}" for i in (1, 2, 3)]
    header = (tmp_path / "manifest.csv").read_text().splitlines()[0]
    assert header == "destination,file_format,segment,row_count"


def test_a_count_the_manifest_does_not_hold_stops_the_export(tmp_path):
    with pytest.raises(ExportMismatch, match=r"members_0.csv: 3 rows written, export_manifest says 2"):
        write_exports(tables(3, manifest_ads_count=2), tmp_path)
    assert not (tmp_path / "manifest.csv").exists()


def test_a_manifest_row_without_a_file_stops_the_export(tmp_path):
    with pytest.raises(ExportMismatch, match=r"export_manifest lists \('crm_email', 'csv', 'rule__a'\)"):
        write_exports(tables(3, extra_manifest_row=True), tmp_path)
