"""Incremental segment_transitions equals a full rebuild.

No generated data: the test writes segment_membership itself, so that it controls who enters,
leaves and re-enters between snapshot runs. It then alternates `dbt snapshot` and
`dbt run --select segment_transitions` (incremental after the first), once with two snapshot
runs between two transition runs (a missed run), and compares the table with a
`--full-refresh` of a copy. Then the fallbacks: an emptied or partial table and a rebuilt
snapshot are noticed and the table rebuilt from the whole snapshot.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.python.conftest import run_dbt_ok, table_differences

pytestmark = pytest.mark.e2e

DB_NAME = "audience.duckdb"  # copies keep the file name: DuckDB's catalog name is the file stem
NO_LANDING = ["--vars", "{land_raw_files: false}"]
SEGMENTS = [("rule", "vip"), ("rule", "lapsed"), ("trigger", "abandoned_cart"), ("cluster", "c1")]


def _membership_row(person: int, segment: tuple[str, str], reason: str) -> tuple:
    segment_type, segment_name = segment
    membership_id = f"{person}|{segment_type}|{segment_name}"
    return (membership_id, f"p{person:04d}", segment_type, segment_name, reason)


def _write_membership(db_path: Path, members: set[tuple[int, tuple[str, str]]], day: int) -> None:
    """Replace segment_membership with `members` (person, segment); reasons change every day."""
    rows = [_membership_row(person, segment, f"day {day}") for person, segment in sorted(members)]
    con = duckdb.connect(str(db_path))
    try:
        con.execute(
            "create or replace table segment_membership (membership_id varchar, person_id varchar, "
            "segment_type varchar, segment_name varchar, reason varchar, assigned_at timestamp, "
            "as_of_date date)"
        )
        con.executemany(
            "insert into segment_membership values (?, ?, ?, ?, ?, "
            "timestamp '2026-01-01 00:00:00' + to_days(?), date '2026-01-01' + to_days(?))",
            [(*row, day, day) for row in rows],
        )
    finally:
        con.close()


def _dbt(what: str, args: list[str], work: Path, db_path: Path):
    raw = work / "raw"
    raw.mkdir(exist_ok=True)
    return run_dbt_ok(what, [*args, *NO_LANDING], raw, db_path, work)


def _snapshot(work: Path, db_path: Path) -> None:
    _dbt("dbt snapshot", ["snapshot", "--select", "segment_membership_snapshot"], work, db_path)


def _transitions(work: Path, db_path: Path, *extra: str):
    args = ["run", "--select", "segment_transitions", *extra]
    return _dbt("dbt run segment_transitions", args, work, db_path)


def _full_rebuild_differences(work: Path, db_path: Path, name: str) -> tuple[int, int, int, int]:
    fresh_dir = work / name
    fresh_dir.mkdir()
    fresh = fresh_dir / DB_NAME
    shutil.copy(db_path, fresh)
    _transitions(fresh_dir, fresh, "--full-refresh")
    return table_differences(db_path, fresh, "segment_transitions")


def _query(db_path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """Five snapshot runs with entries, exits and re-entries; transitions run incrementally."""
    work = tmp_path_factory.mktemp("transitions")
    db_path = work / DB_NAME
    members = {
        (person, segment) for person in range(120) for segment in SEGMENTS if (person + len(segment[1])) % 3
    }
    _write_membership(db_path, members, 0)
    _snapshot(work, db_path)
    _transitions(work, db_path)
    left: set = set()
    for day in range(1, 5):
        leaving = {m for m in sorted(members) if (m[0] * 7 + day) % 11 == 0}
        back = {m for m in sorted(left) if (m[0] + day) % 2 == 0}  # re-entries: a new spell
        new = {(person, SEGMENTS[day % len(SEGMENTS)]) for person in range(100 + day * 10, 120 + day * 10)}
        members = (members - leaving) | back | new
        left = (left - back) | leaving
        _write_membership(db_path, members, day)
        _snapshot(work, db_path)
        if day != 2:  # day 2: a missed transitions run; day 3 has to pick up two snapshot runs
            _transitions(work, db_path)
    return work, db_path


def test_incremental_equals_full_rebuild(history):
    work, db_path = history
    counts = dict(
        ((transition, initial), n)
        for transition, initial, n in _query(
            db_path,
            "select transition, is_initial_load, count(*) from segment_transitions group by all",
        )
    )
    # the history is not trivial: entries after the first load, exits and re-entries
    assert counts[("entered", True)] > 200
    assert counts[("entered", False)] > 50
    assert counts[("exited", False)] > 30
    assert ("exited", True) not in counts
    reentries = _query(
        db_path,
        "select count(*) from (select person_id, segment_name from segment_transitions "
        "where transition = 'entered' group by all having count(*) > 1)",
    )[0][0]
    assert reentries > 0
    runs = _query(db_path, "select count(distinct transition_at) from segment_transitions")[0][0]
    assert runs == 5
    # every transition carries the as-of date of the membership its run snapshotted (day d of
    # the history: 2026-01-01 + d), not the run's wall clock
    run_dates = _query(
        db_path,
        "select transition_at, count(distinct as_of_date), count(*) - count(as_of_date), min(as_of_date) "
        "from segment_transitions group by 1 order by 1",
    )
    assert [(n_dates, n_null) for _, n_dates, n_null, _ in run_dates] == [(1, 0)] * 5
    as_of_dates = [as_of for *_, as_of in run_dates]
    assert as_of_dates == sorted(set(as_of_dates)), as_of_dates
    only_inc, only_full, n_inc, n_full = _full_rebuild_differences(work, db_path, "fresh")
    assert (only_inc, only_full) == (0, 0)
    assert n_inc == n_full


def test_untrusted_table_is_rebuilt(history, tmp_path):
    work, db_path = history
    for case in ("partial", "snapshot_rebuilt", "no_as_of_date_column"):
        case_dir = tmp_path / case
        case_dir.mkdir()
        copy = case_dir / DB_NAME
        shutil.copy(db_path, copy)
        con = duckdb.connect(str(copy))
        try:
            if case == "partial":
                # lose some rows of an earlier run: the count check must notice
                con.execute(
                    "delete from segment_transitions where transition = 'exited' "
                    "and transition_at < (select max(transition_at) from segment_transitions)"
                )
            elif case == "snapshot_rebuilt":
                con.execute("drop table segment_membership_snapshot")
            else:
                # a table built before transitions carried their as-of date
                con.execute("alter table segment_transitions drop column as_of_date")
        finally:
            con.close()
        if case == "snapshot_rebuilt":
            _snapshot(case_dir, copy)
        run = _transitions(case_dir, copy)
        assert "from the whole snapshot" in run.output
        only_inc, only_full, n_inc, n_full = _full_rebuild_differences(case_dir, copy, "fresh")
        assert (only_inc, only_full, n_inc) == (0, 0, n_full)
        if case == "snapshot_rebuilt":
            # the rebuilt snapshot's first run is the new initial load: nobody exited yet
            assert _query(copy, "select bool_and(is_initial_load) from segment_transitions")[0][0] is True
