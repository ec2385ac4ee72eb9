"""BI readers: the read-only BI file beside the warehouse.

While `dbt build` writes the warehouse, DuckDB lets no other process open that file. The
on-run-end hook publish_bi copies the marts of the exposure `bi_file` into
`<warehouse>_bi.duckdb` after a build without failures and renames it into place atomically.
These tests check what a publish holds, that a BI reader in another process reads consistent
segment tables without error during a whole `dbt build` (first the previous publish, then the
new one, never a mix), and that a failed build publishes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from .conftest import DBT, PROJECT_DIR, run_dbt

pytestmark = pytest.mark.e2e

SEGMENT_TABLES = (
    "customer_profiles",
    "customer_scores",
    "customer_clusters",
    "segment_personas",
    "segment_membership",
    "segment_transitions",
)
EARLIER_AS_OF = "2025-09-30"  # a rebuild as of an earlier date changes every segment table
HELD_READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("select distinct publish_id from bi_publish").fetchone()[0], flush=True)
sys.stdin.readline()
print(con.execute("select distinct publish_id from bi_publish").fetchone()[0],
      con.execute("select count(*) from segment_membership").fetchone()[0], flush=True)
"""


def bi_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.stem + "_bi.duckdb")


def read_bi(path: Path) -> dict:
    """Read the BI file the way a BI tool would (read-only) and describe what it holds."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        publish = con.execute("select publish_id, table_name, row_count from bi_publish").fetchall()
        counts = {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in SEGMENT_TABLES}
        members_without_profile = con.execute(
            "select count(*) from segment_membership as m "
            "where not exists (select 1 from customer_profiles as p where p.person_id = m.person_id)"
        ).fetchone()[0]
        personas_size = con.execute("select sum(size) from segment_personas").fetchone()[0]
    finally:
        con.close()
    return {
        "publish_ids": {row[0] for row in publish},
        "published_counts": {row[1]: row[2] for row in publish},
        "counts": counts,
        "members_without_profile": members_without_profile,
        "personas_size": personas_size,
    }


def assert_consistent(state: dict) -> None:
    """One publish, and the tables hold exactly what that publish recorded."""
    assert len(state["publish_ids"]) == 1, state["publish_ids"]
    for table, n in state["counts"].items():
        assert state["published_counts"][table] == n, (table, state)
    assert state["members_without_profile"] == 0
    assert state["personas_size"] == state["counts"]["customer_clusters"]


def warehouse_counts(db_path: Path) -> dict[str, int]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in SEGMENT_TABLES}
    finally:
        con.close()


@pytest.fixture()
def warehouse_copy(demo_build, tmp_path) -> Path:
    """A copy of the demo warehouse, with its BI file, that a test may rebuild."""
    db = tmp_path / "audience.duckdb"
    for src in (demo_build.db_path, bi_path(demo_build.db_path)):
        shutil.copy(src, tmp_path / src.name.replace(demo_build.db_path.stem, "audience"))
    assert bi_path(db).exists()
    return db


def test_a_build_publishes_the_bi_file(demo_build):
    path = bi_path(demo_build.db_path)
    assert path.exists(), "dbt build did not publish the BI file"
    assert not Path(f"{path}.tmp").exists()
    state = read_bi(path)
    assert_consistent(state)
    assert state["counts"] == warehouse_counts(demo_build.db_path)

    manifest = json.loads((demo_build.target_dir / "manifest.json").read_text())
    exposure = manifest["exposures"]["exposure.audience.bi_file"]
    expected_tables = {manifest["nodes"][uid]["name"] for uid in exposure["depends_on"]["nodes"]}
    assert set(state["published_counts"]) == expected_tables
    assert set(SEGMENT_TABLES) <= expected_tables

    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
        assert tables == expected_tables | {"bi_publish"}
        table_comment = con.execute(
            "select comment from duckdb_tables() where table_name = 'segment_membership'"
        ).fetchone()[0]
        column_comment = con.execute(
            "select comment from duckdb_columns() "
            "where table_name = 'customer_scores' and column_name = 'churn_probability'"
        ).fetchone()[0]
    finally:
        con.close()
    assert "segment" in table_comment
    assert "churn" in column_comment.lower()


def test_bi_readers_see_a_complete_build_while_dbt_builds(warehouse_copy, demo_build):
    db = warehouse_copy
    work = db.parent
    bi = bi_path(db)
    before = read_bi(bi)
    assert_consistent(before)
    (old_id,) = before["publish_ids"]

    # a BI tool that stays connected, in its own process (within one process DuckDB shares one
    # database instance between all connections to a path, so they would all keep the old file)
    held = subprocess.Popen(
        [sys.executable, "-c", HELD_READER, str(bi)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert held.stdout.readline().split() == [old_id]
    env = {
        **os.environ,
        "AUDIENCE_RAW_PATH": str(demo_build.raw_dir),
        "AUDIENCE_DUCKDB_PATH": str(db),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    cmd = [
        DBT, "build", "--vars", json.dumps({"as_of_date": EARLIER_AS_OF}),
        "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
    ]  # fmt: skip
    observations = []
    errors = []
    with open(work / "dbt_build.log", "w") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT)
        try:
            while proc.poll() is None:
                try:
                    observations.append(read_bi(bi))
                except Exception as exc:  # noqa: BLE001 - any failure to read is what we test for
                    errors.append(repr(exc))
                time.sleep(0.2)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if proc.returncode != 0 and held.poll() is None:
                held.kill()
    output = (work / "dbt_build.log").read_text()
    assert proc.returncode == 0, output[-6000:]
    assert "Published" in output

    assert errors == []
    assert len(observations) >= 10, "the reader barely ran during the build"
    after = read_bi(bi)
    assert_consistent(after)
    (new_id,) = after["publish_ids"]
    assert new_id != old_id
    assert after["counts"] == warehouse_counts(db)
    assert after["counts"] != before["counts"], "the rebuild as of an earlier date should change the tables"

    for state in observations:
        assert_consistent(state)
        assert state["publish_ids"] in ({old_id}, {new_id})
        expected = before if state["publish_ids"] == {old_id} else after
        assert state["counts"] == expected["counts"]
    assert observations[0]["publish_ids"] == {old_id}
    n_new = sum(state["publish_ids"] == {new_id} for state in observations)
    print(
        f"\n[bi] {len(observations)} consistent reads of the BI file during dbt build: "
        f"{len(observations) - n_new} of the previous publish, {n_new} of the new one, 0 errors"
    )

    # the connection opened before the publish still reads the previous, complete build
    out, _ = held.communicate("\n", timeout=60)
    assert out.split() == [old_id, str(before["counts"]["segment_membership"])]


def test_a_failed_build_does_not_publish(warehouse_copy, demo_build):
    db = warehouse_copy
    bi = bi_path(db)
    before = read_bi(bi)
    mtime = bi.stat().st_mtime_ns
    # one round of label propagation is too few: the identity stitching unit test fails
    run = run_dbt(
        ["build", "--select", "int_identities_stitched", "--vars", '{"identity_max_iterations": 1}'],
        demo_build.raw_dir,
        db,
        db.parent,
    )
    assert run.returncode != 0, run.output[-4000:]
    assert "BI file not published" in run.output
    assert bi.stat().st_mtime_ns == mtime
    assert read_bi(bi) == before
