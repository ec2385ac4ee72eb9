"""Rule, trigger and dynamic segments, membership history and activation exports.

One generated dataset for the module (1,500 customers): a full build, then one appended day of
micro-batch files plus a few late events, then the realtime selection
(`dbt build --selector realtime`). The tests check that the micro-batch run adds trigger
members and `entered` transitions, that the incremental trigger model equals a
--full-refresh on a copy, that the activation files hold only consenting people and no raw
email, and that malformed rules stop the build with a message naming the rule.
The rule compiler's operators, percentiles and nesting are covered by the dbt unit tests in
models/marts/segments/rule_segment_members.yml (run by every `dbt build`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from tests.python.conftest import PROJECT_DIR, DbtRun, generate, run_dbt, run_dbt_ok, table_differences

pytestmark = pytest.mark.e2e

N_CUSTOMERS = 1500
SEED = 29
DB_NAME = "audience.duckdb"  # copies keep the file name: DuckDB's catalog name is the file stem


@dataclass
class SegmentsRun:
    work: Path
    raw: Path
    exports: Path
    env: dict[str, str]
    first_build: DbtRun
    realtime: DbtRun
    first_seconds: float
    realtime_seconds: float
    first_build_finished_at: object
    clock_before: object
    late_sessions: list[str]

    def query(self, sql: str) -> list[tuple]:
        return self.realtime.query(sql)


def _append_late_add_to_carts(db_path: Path, raw: Path, n: int = 20) -> list[str]:
    """Late arrivals: an add_to_cart, 30 s after the last event, for n browse-only sessions of the
    last loaded day, in a batch file of their own (inside the lookback window of the triggers)."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        rows = con.execute(
            f"""
            select session_id, max(customer_id), max(anonymous_id), max(event_at)
            from int_web_events_deduplicated
            where session_id is not null
              and cast(event_at as date) = (select cast(clock_at as date) from int_segment_trigger_clock)
            group by session_id
            having sum(case when event_type = 'product_view' then 1 else 0 end) > 0
               and sum(case when event_type = 'add_to_cart' then 1 else 0 end) = 0
               and max(event_at) < (select clock_at from int_segment_trigger_clock) - interval 1 minute
            order by session_id
            limit {n}
            """
        ).fetchall()
    finally:
        con.close()
    path = raw / "web_events" / "zz-late-arrivals.csv"
    path.parent.mkdir(exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["event_id", "anonymous_id", "customer_id", "session_id", "event_type", "event_at"])
        for i, (session_id, customer_id, anonymous_id, last_at) in enumerate(rows):
            late_at = last_at.replace(microsecond=0) + timedelta(seconds=30)
            writer.writerow(
                [
                    f"late-{i}",
                    anonymous_id or "",
                    customer_id or "",
                    session_id,
                    "add_to_cart",
                    late_at.isoformat(sep=" "),
                ]
            )
    return [r[0] for r in rows]


def _append_resumed_sessions(db_path: Path, raw: Path, n: int = 10) -> None:
    """Sessions resumed days later (an app left open): a page_view an hour before the data clock
    for n sessions of five days earlier, in a batch file of their own. The incremental triggers
    must then read those sessions' earlier events, from before the window's first day."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        rows = con.execute(
            f"""
            select session_id, max(customer_id), max(anonymous_id),
                (select clock_at from int_segment_trigger_clock) - interval 1 hour
            from int_web_events_deduplicated
            where session_id is not null
              and cast(event_at as date)
                = (select cast(clock_at as date) - interval 5 day from int_segment_trigger_clock)
            group by session_id
            order by session_id
            limit {n}
            """
        ).fetchall()
    finally:
        con.close()
    path = raw / "web_events" / "zz-resumed-sessions.csv"
    path.parent.mkdir(exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["event_id", "anonymous_id", "customer_id", "session_id", "event_type", "event_at"])
        for i, (session_id, customer_id, anonymous_id, at) in enumerate(rows):
            event = [f"resumed-{i}", anonymous_id or "", customer_id or "", session_id, "page_view"]
            writer.writerow([*event, at.isoformat(sep=" ")])


@pytest.fixture(scope="module")
def segments_run(tmp_path_factory) -> SegmentsRun:
    from audience import synth

    work = tmp_path_factory.mktemp("rule_trigger_segments")
    raw = work / "raw"
    exports = work / "exports"
    db = work / "warehouse" / DB_NAME
    db.parent.mkdir()
    env = {"AUDIENCE_EXPORT_PATH": str(exports)}
    generate(raw, n_customers=N_CUSTOMERS, seed=SEED)

    start = time.perf_counter()
    first = run_dbt_ok(
        "full build",
        ["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"],
        raw,
        db,
        work,
        env,
    )
    first_seconds = time.perf_counter() - start
    finished_at = first.query("select max(dbt_valid_from) from segment_membership_snapshot")[0][0]
    clock_before = first.query("select clock_at from int_segment_trigger_clock")[0][0]

    late_sessions = _append_late_add_to_carts(db, raw)
    _append_resumed_sessions(db, raw)
    synth.append_day(raw, seed=SEED)

    start = time.perf_counter()
    realtime = run_dbt_ok("realtime build", ["build", "--selector", "realtime"], raw, db, work, env)
    realtime_seconds = time.perf_counter() - start
    return SegmentsRun(
        work,
        raw,
        exports,
        env,
        first,
        realtime,
        first_seconds,
        realtime_seconds,
        finished_at,
        clock_before,
        late_sessions,
    )


def test_realtime_run_picks_up_the_new_day_in_triggers_and_transitions(segments_run, capsys):
    run = segments_run
    with capsys.disabled():
        print(
            f"\n[segments] full build (models + snapshot, no tests): {run.first_seconds:.1f}s; "
            f"realtime `dbt build --selector realtime` (models + tests) after append_day: "
            f"{run.realtime_seconds:.1f}s"
        )
    assert "segment_trigger_events" in run.realtime.output
    # the realtime run did not rebuild the heavy marts
    for heavy in ("customer_profiles", "customer_clusters", "customer_scores", "rule_segment_members"):
        assert f"model main.{heavy} " not in run.realtime.output

    clock_after = run.query("select clock_at from int_segment_trigger_clock")[0][0]
    assert clock_after > run.clock_before

    new_triggers = run.query(
        f"select segment_name, count(*) from trigger_segment_members "
        f"where triggered_at > timestamp '{run.clock_before}' group by segment_name"
    )
    assert sum(n for _, n in new_triggers) > 0, new_triggers

    entered = dict(
        run.query(
            f"""
        select segment_type, count(*) from segment_transitions
        where transition = 'entered' and not is_initial_load
          and transition_at > timestamp '{run.first_build_finished_at}'
        group by segment_type
        """
        )
    )
    assert entered.get("trigger", 0) > 0, entered
    # every current trigger member has an open membership spell
    missing = run.query(
        """
        select count(*) from segment_membership as m
        left join segment_membership_snapshot as s
            on m.membership_id = s.membership_id and s.dbt_valid_to is null
        where s.membership_id is null
        """
    )[0][0]
    assert missing == 0


def test_late_events_land_in_their_sessions(segments_run):
    sessions = segments_run.late_sessions
    assert sessions, "the generated data has no browse-only session on the last day"
    in_list = ", ".join(f"'{s}'" for s in sessions)
    rows = segments_run.query(
        f"""
        select trigger_name, count(*), sum(case when has_add_to_cart then 1 else 0 end)
        from segment_trigger_events where session_id in ({in_list})
        group by trigger_name order by trigger_name
        """
    )
    assert rows == [
        ("abandoned_cart", len(sessions), len(sessions)),
        ("browse_abandonment", len(sessions), len(sessions)),
    ]


def _rerun_on_copy(run: SegmentsRun, name: str, args: list[str]) -> Path:
    """Copy the warehouse after the realtime run and run `dbt <args>` on the copy, without the
    landing hook (the copy's raw tables are current; landing would reload every file)."""
    copy_dir = run.work / name
    (copy_dir / "warehouse").mkdir(parents=True)
    copy_db = copy_dir / "warehouse" / DB_NAME
    shutil.copy(run.realtime.db_path, copy_db)
    run_dbt_ok(name, args, run.raw, copy_db, copy_dir, run.env)
    return copy_db


def _assert_same_rows(first: Path, second: Path, table: str, what: str) -> None:
    only_first, only_second, n_first, _ = table_differences(first, second, table)
    assert n_first > 0, f"{what}: {table} is empty"
    assert (only_first, only_second) == (0, 0), (
        f"{what}: {table} has {only_first} rows only in {first.parent.parent.name}, "
        f"{only_second} only in {second.parent.parent.name}"
    )


def test_incremental_triggers_equal_a_full_refresh(segments_run):
    run = segments_run
    refreshed = _rerun_on_copy(
        run,
        "full_refresh",
        [
            *("run", "--full-refresh", "--select", "segment_trigger_events", "trigger_segment_members"),
            *("--vars", "{land_raw_files: false}"),
        ],
    )
    for table in ("segment_trigger_events", "trigger_segment_members"):
        _assert_same_rows(run.realtime.db_path, refreshed, table, "full refresh")


def test_incremental_triggers_without_the_session_list_give_the_same_rows(segments_run):
    """The incremental run reads the earlier events of the touched sessions by listed session_id;
    with var trigger_max_listed_sessions 0 it reads them from their earliest day instead. A rerun
    on a copy (the window's sessions recomputed and replaced) must leave the table unchanged on
    both paths, and the window must touch sessions with events before its first day (else the
    list would be empty and this would check nothing)."""
    run = segments_run
    early = run.query(
        """
        with window_start as (
            select max(anchor_at) - interval 72 hour as window_start_at from segment_trigger_events
        ),
        touched as (
            select distinct session_id from int_web_events_deduplicated
            where event_at >= (select window_start_at from window_start) and session_id is not null
        )
        select count(distinct e.session_id)
        from int_web_events_deduplicated as e
        inner join touched on e.session_id = touched.session_id
        where e.event_at < cast(cast((select window_start_at from window_start) as date) as timestamp)
        """
    )[0][0]
    assert early > 0, "no touched session has events before the window's first day"
    for max_listed in (0, 100000):
        rerun = _rerun_on_copy(
            run,
            f"rerun_{max_listed}",
            [
                *("run", "--select", "segment_trigger_events"),
                *("--vars", f"{{land_raw_files: false, trigger_max_listed_sessions: {max_listed}}}"),
            ],
        )
        _assert_same_rows(
            run.realtime.db_path, rerun, "segment_trigger_events", f"max_listed {max_listed}"
        )


def _read_exports(exports: Path, destination: str, fmt: str) -> list[dict]:
    files = sorted((exports / destination / fmt).glob(f"segment=*/*.{fmt}"))
    assert files, f"no {destination} {fmt} files"
    con = duckdb.connect()
    try:
        rows = []
        for f in files:
            reader = "read_csv" if fmt == "csv" else "read_parquet"
            df = con.execute(f"select * from {reader}('{f}', hive_partitioning = false)").df()
            df["_file"] = str(f)
            rows.extend(df.to_dict("records"))
        return rows
    finally:
        con.close()


def _assert_sorted_per_file(rows: list[dict], column: str) -> None:
    """The export_files materialization writes each file's rows sorted, so the same members
    give the same file."""
    by_file: dict[str, list[str]] = {}
    for r in rows:
        by_file.setdefault(r["_file"], []).append(r[column])
    for f, values in by_file.items():
        assert values == sorted(values), f"{f}: rows not sorted by {column}"


def test_ad_exports_hold_only_ads_consenting_hashes_and_no_raw_email(segments_run):
    run = segments_run
    profiles = run.query("select email, has_ads_consent from customer_profiles where email is not null")
    consenting = {hashlib.sha256(e.strip().lower().encode()).hexdigest() for e, ok in profiles if ok}
    refusing = {hashlib.sha256(e.strip().lower().encode()).hexdigest() for e, ok in profiles if not ok}
    assert refusing, "the generated data should have people without ads consent"
    for fmt in ("csv", "parquet"):
        rows = [r for r in _read_exports(run.exports, "ad_audiences", fmt) if r["segment"] is not None]
        assert rows
        assert {k for r in rows for k in r} == {"segment", "email_sha256", "_file"}
        hashes = {r["email_sha256"] for r in rows}
        assert hashes <= consenting
        assert not hashes & refusing
        assert all(len(h) == 64 and all(c in "0123456789abcdef" for c in h) for h in hashes)
        _assert_sorted_per_file(rows, "email_sha256")
    # no raw address anywhere in the ad CSV files, byte for byte
    for f in (run.exports / "ad_audiences").rglob("*.csv"):
        assert b"@" not in f.read_bytes(), f


def test_crm_exports_hold_only_email_consenting_people(segments_run):
    run = segments_run
    consent = dict(run.query("select person_id, has_email_consent from customer_profiles"))
    for fmt in ("csv", "parquet"):
        rows = [r for r in _read_exports(run.exports, "crm_email", fmt) if r["segment"] is not None]
        assert rows
        assert all(consent.get(r["person_id"]) is True for r in rows)
        assert all(r["email"] == r["email"].strip().lower() for r in rows)
        # one folder per segment, named after it
        assert all(f"segment={r['segment']}" in r["_file"] for r in rows)
        _assert_sorted_per_file(rows, "person_id")


def test_manifest_lists_every_file_with_its_row_count(segments_run):
    run = segments_run
    manifest_path = run.exports / "manifest.csv"
    assert manifest_path.exists()
    with manifest_path.open() as fh:
        manifest = list(csv.DictReader(fh))
    files = {
        str(p)
        for p in run.exports.rglob("segment=*/members_*.*")
        if "__HIVE_DEFAULT_PARTITION__" not in str(p)
    }
    assert {m["file_path"] for m in manifest} == files
    con = duckdb.connect()
    try:
        for m in manifest:
            reader = "read_csv" if m["file_format"] == "csv" else "read_parquet"
            n = con.execute(f"select count(*) from {reader}('{m['file_path']}')").fetchone()[0]
            assert int(m["row_count"]) == n
            assert m["definition"], m
    finally:
        con.close()
    vip = [m for m in manifest if m["segment"] == "rule__vip"]
    assert vip and "p90" in vip[0]["definition"]


MALFORMED_RULES = [
    pytest.param(
        [{"description": "no name", "conditions": [{"column": "order_count", "op": ">", "value": 1}]}],
        ["segment rule #1 has no name"],
        id="missing-name",
    ),
    pytest.param(
        [{"name": "empty_rule", "conditions": []}],
        ["segment rule 'empty_rule'", "`conditions` must be a non-empty list"],
        id="empty-conditions",
    ),
    pytest.param(
        [{"name": "typo", "conditions": [{"column": "total_revnue", "op": ">=", "value": "p90"}]}],
        ["segment rule 'typo'", "unknown column 'total_revnue'", "available:", "total_revenue"],
        id="unknown-column",
    ),
    pytest.param(
        [{"name": "bad_op", "conditions": [{"or": [{"column": "order_count", "op": "like", "value": 1}]}]}],
        ["segment rule 'bad_op'", "unknown operator 'like'", "conditions[0].or[0]"],
        id="unknown-operator",
    ),
    pytest.param(
        [{"name": "half_range", "conditions": [{"column": "recency_days", "op": "between", "value": [30]}]}],
        ["segment rule 'half_range'", "between needs two values"],
        id="between-one-value",
    ),
    pytest.param(
        [{"name": "text_pct", "conditions": [{"column": "email", "op": ">=", "value": "p90"}]}],
        ["segment rule 'text_pct'", "percentile 'p90' needs a numeric column", "'email' is text"],
        id="percentile-on-text",
    ),
    pytest.param(
        [{"name": "bad_pct", "conditions": [{"column": "clv", "op": ">", "value": "p9O"}]}],
        ["segment rule 'bad_pct'", "'p9O' is neither a number nor a percentile"],
        id="percentile-typo",
    ),
]


# Compiles rule_segment_members once per rule set in one process: dbt parses the project once and
# the preloaded manifest is reused, with each rule set passed as the `segment_rules` var.
_COMPILE_CASES = """
import json, sys
from dbt.cli.main import dbtRunner

base, cases = json.loads(sys.argv[1]), json.loads(sys.argv[2])
parsed = dbtRunner().invoke(["parse", *base, "--quiet"])
runner = dbtRunner(manifest=parsed.result)
out = {}
for case_id, rules in cases.items():
    vars_ = json.dumps({"segment_rules": rules})
    res = runner.invoke(["compile", *base, "--select", "rule_segment_members", "--vars", vars_, "--quiet"])
    out[case_id] = {"success": res.success, "message": str(res.exception) if res.exception else ""}
print("RESULTS" + json.dumps(out))
"""


def test_malformed_rules_fail_with_a_clear_message(segments_run):
    """Each malformed rule set, passed as the `segment_rules` var, fails compilation naming the rule;
    a valid override compiles."""
    run = segments_run
    case_dir = run.work / "rule_cases"
    (case_dir / "warehouse").mkdir(parents=True)
    db = case_dir / "warehouse" / DB_NAME
    shutil.copy(run.realtime.db_path, db)
    cases = {p.id: p.values[0] for p in MALFORMED_RULES}
    cases["valid"] = [{"name": "ok", "conditions": [{"column": "clv_decile", "op": ">=", "value": 9}]}]
    base = [
        *("--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)),
        *("--target-path", str(case_dir / "target"), "--log-path", str(case_dir / "logs")),
    ]
    env = {**os.environ, **run.env, "AUDIENCE_RAW_PATH": str(run.raw), "AUDIENCE_DUCKDB_PATH": str(db)}
    proc = subprocess.run(
        [sys.executable, "-c", _COMPILE_CASES, json.dumps(base), json.dumps(cases)],
        env=env,
        capture_output=True,
        text=True,
        cwd=case_dir,
    )
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULTS")), None)
    assert line, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads(line.removeprefix("RESULTS"))
    assert results["valid"]["success"], results["valid"]
    for param in MALFORMED_RULES:
        result = results[param.id]
        assert not result["success"], f"{param.id}: compiled although malformed"
        for expected in param.values[1]:
            assert expected in result["message"], f"{param.id}: {expected!r} not in\n{result['message']}"


def test_malformed_rule_fails_the_build(segments_run):
    """The real command: `dbt build` with a rule on an unknown column stops with the rule's name."""
    run = segments_run
    case_dir = run.work / "rule_build"
    (case_dir / "warehouse").mkdir(parents=True)
    db = case_dir / "warehouse" / DB_NAME
    shutil.copy(run.realtime.db_path, db)
    rules = [{"name": "vip_typo", "conditions": [{"column": "total_revnue", "op": ">=", "value": "p90"}]}]
    result = run_dbt(
        ["build", "--select", "rule_segment_members", "--vars", json.dumps({"segment_rules": rules})],
        run.raw,
        db,
        case_dir,
        run.env,
    )
    assert result.returncode != 0
    assert "segment rule 'vip_typo': unknown column 'total_revnue'" in result.output
