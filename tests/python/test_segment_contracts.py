"""The segment contract tests (tests/generic/segment_*.sql) fail on data built to violate them.

Each case builds a throw-away dbt project in a temporary folder: this project's generic test
files copied in, three seeds (eligible people, the current memberships and the previous
build's memberships) and the contracts configured on the membership seed exactly as on
segment_membership. Good data passes every contract; each violating data set fails exactly the
contract it violates, by name. Nothing of this is part of the main project's `dbt build`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.python.conftest import DBT, PROJECT_DIR

CONTRACT_TESTS = [
    "segment_mutually_exclusive",
    "segment_full_coverage",
    "segment_share_within_bounds",
    "segment_max_change_share",
]

PROPERTIES = """
version: 2
seeds:
  - name: membership
    config:
      column_types: {person_id: varchar, segment_type: varchar, segment_name: varchar}
    data_tests:
      - segment_mutually_exclusive:
          name: contract_exclusive
          arguments: {entity_column: person_id, segment_column: segment_name, group_by: [segment_type]}
          config: {where: "segment_type = 'cluster'", severity: "{{ var('contract_severity', 'error') }}"}
      - segment_full_coverage:
          name: contract_coverage
          arguments:
            eligible: "ref('eligible')"
            eligible_where: "order_count >= 1"
            exempt_if: "{{ var('exempt', 'false') }}"
          config: {where: "segment_type = 'cluster'", severity: "{{ var('contract_severity', 'error') }}"}
      - segment_share_within_bounds:
          name: contract_share
          arguments: {min_share: 0.2, max_share: 0.6, exempt_if: "{{ var('exempt', 'false') }}"}
          config: {where: "segment_type = 'cluster'", severity: "{{ var('contract_severity', 'error') }}"}
      - segment_share_within_bounds:
          name: contract_rule_share
          arguments: {min_share: 0.01, max_share: 0.5, segments: [vip]}
          config: {where: "segment_type = 'rule'", severity: "{{ var('contract_severity', 'error') }}"}
      - segment_max_change_share:
          name: contract_change
          arguments:
            previous: previous_membership
            previous_where: "segment_type = 'cluster'"
            max_share: 0.35
            exempt_if: "{{ var('exempt', 'false') }}"
          config: {where: "segment_type = 'cluster'", severity: "{{ var('contract_severity', 'error') }}"}
  - name: previous_membership
    config:
      column_types: {person_id: varchar, segment_type: varchar, segment_name: varchar}
  - name: eligible
    config:
      column_types: {person_id: varchar}
"""

PEOPLE = [f"p{i:02d}" for i in range(1, 11)]
GOOD = {p: ("A" if i < 5 else "B") for i, p in enumerate(PEOPLE)}  # 5 in A, 5 in B


def _membership_csv(clusters: dict[str, str | list[str]], rules: dict[str, str] | None = None) -> str:
    lines = ["person_id,segment_type,segment_name"]
    for person, segs in clusters.items():
        for seg in [segs] if isinstance(segs, str) else segs:
            lines.append(f"{person},cluster,{seg}")
    for person, seg in (rules or {"p01": "vip", "p02": "win_back"}).items():
        lines.append(f"{person},rule,{seg}")
    return "\n".join(lines) + "\n"


def _build(
    tmp_path: Path, membership: str, previous: str | None, severity: str = "error", exempt: str = "false"
) -> tuple[int, str]:
    project = tmp_path / "contracts"
    (project / "seeds").mkdir(parents=True)
    (project / "tests" / "generic").mkdir(parents=True)
    for name in CONTRACT_TESTS:
        shutil.copy(PROJECT_DIR / "tests" / "generic" / f"{name}.sql", project / "tests" / "generic")
    (project / "dbt_project.yml").write_text(
        "name: contracts\nversion: '1.0.0'\nconfig-version: 2\nprofile: contracts\n"
        "seed-paths: [seeds]\ntest-paths: [tests]\nmodel-paths: [models]\n"
    )
    (project / "profiles.yml").write_text(
        "contracts:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: '{tmp_path / 'contracts.duckdb'}'\n      threads: 1\n"
    )
    (project / "seeds" / "properties.yml").write_text(PROPERTIES)
    (project / "seeds" / "eligible.csv").write_text(
        "person_id,order_count\n" + "".join(f"{p},{1 + i % 3}\n" for i, p in enumerate(PEOPLE)) + "p99,0\n"
    )
    (project / "seeds" / "membership.csv").write_text(membership)
    if previous is not None:
        (project / "seeds" / "previous_membership.csv").write_text(previous)
    proc = subprocess.run(
        [DBT, "build", "--project-dir", str(project), "--profiles-dir", str(project),
         "--vars", f"{{contract_severity: {severity}, exempt: '{exempt}'}}"],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    return proc.returncode, proc.stdout + proc.stderr


def _failed(output: str) -> set[str]:
    return set(re.findall(r"(?:Failure|Warning) in test (\w+)", output))


def test_contracts_pass_on_good_data(tmp_path):
    code, out = _build(tmp_path, _membership_csv(GOOD), _membership_csv(GOOD))
    assert code == 0, out[-3000:]
    assert _failed(out) == set()
    assert re.search(r"PASS=(\d+)", out) and "ERROR=0" in out


@pytest.mark.parametrize(
    ("case", "membership", "expected"),
    [
        # p01 in two clusters at once
        ("overlap", {**GOOD, "p01": ["A", "B"]}, "contract_exclusive"),
        # p10 is eligible (order_count >= 1) but in no cluster
        ("uncovered", {p: s for p, s in GOOD.items() if p != "p10"}, "contract_coverage"),
        # 8 of 10 people in A: above max_share 0.6 (B at 0.2 is still within bounds)
        ("too_big", {p: ("A" if i < 8 else "B") for i, p in enumerate(PEOPLE)}, "contract_share"),
        # 4 of 10 people swapped cluster since the previous build (0.4 > 0.35); sizes unchanged
        ("churn", {**GOOD, "p01": "B", "p02": "B", "p06": "A", "p07": "A"}, "contract_change"),
    ],
)
def test_each_contract_fails_on_data_that_violates_it(tmp_path, case, membership, expected):
    code, out = _build(tmp_path, _membership_csv(membership), _membership_csv(GOOD))
    assert code != 0, f"{case}: build passed\n{out[-3000:]}"
    assert _failed(out) == {expected}, out[-3000:]


def test_listed_segment_that_is_too_big_or_missing_fails(tmp_path):
    rules = {p: "vip" for p in PEOPLE[:6]}  # vip = 6 of the 6 rule members: share 1 > 0.5
    code, out = _build(tmp_path, _membership_csv(GOOD, rules), _membership_csv(GOOD))
    assert code != 0 and _failed(out) == {"contract_rule_share"}, out[-3000:]
    code, out = _build(tmp_path / "2", _membership_csv(GOOD, {"p01": "win_back"}), _membership_csv(GOOD))
    assert code != 0 and _failed(out) == {"contract_rule_share"}, out[-3000:]  # vip listed but empty


def test_first_build_without_previous_state_passes_the_change_contract(tmp_path):
    churned = {**GOOD, "p01": "B", "p02": "B", "p06": "A", "p07": "A"}
    code, out = _build(tmp_path, _membership_csv(churned), previous=None)
    assert code == 0, out[-3000:]


def test_severity_warn_reports_without_failing_the_build(tmp_path):
    code, out = _build(tmp_path, _membership_csv({**GOOD, "p01": ["A", "B"]}), _membership_csv(GOOD), "warn")
    assert code == 0, out[-3000:]
    assert _failed(out) == {"contract_exclusive"}
    assert "WARN=1" in out


@pytest.mark.parametrize(
    "membership",
    [
        {p: s for p, s in GOOD.items() if p != "p10"},
        {p: ("A" if i < 8 else "B") for i, p in enumerate(PEOPLE)},
        {**GOOD, "p01": "B", "p02": "B", "p06": "A", "p07": "A"},
    ],
    ids=["uncovered", "too_big", "churn"],
)
def test_exempt_if_condition_lifts_a_contract(tmp_path, membership):
    """`exempt_if` (a recorded clustering fallback on segment_membership) lifts exactly the
    contract it is set on; the same data fails that contract without it (cases above)."""
    code, out = _build(tmp_path, _membership_csv(membership), _membership_csv(GOOD), exempt="1 = 1")
    assert code == 0 and _failed(out) == set(), out[-3000:]
