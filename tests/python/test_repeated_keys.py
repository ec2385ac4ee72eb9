"""repeated_keys() (macros/standardize/repeated_keys.sql), which the deduplication, dq_duplicates
and the composite unique test use: on DuckDB it groups a 64-bit hash of the key first and then
the key itself over the candidate rows only. It must return exactly what the plain
`group by ... having count(*) > 1` (the macro's default, used on other engines) returns,
nulls included: a null key is a group of its own in both.

The built-in `unique` test's DuckDB override (macros/quality/test_unique.sql) is checked the same
way against dbt's own default__test_unique: same failing values and counts, nulls ignored,
also for an expression instead of a column."""

from __future__ import annotations

import json

import duckdb

from .conftest import run_dbt_ok

ROWS = [
    ("x", 1), ("x", 1), ("x", 2),  # (x, 1) repeated; x repeated three times
    (None, 1), (None, 1),  # a null in one column of a repeated pair
    (None, None), (None, None),  # all null, repeated
    ("y", 3), ("z", None),  # single
]  # fmt: skip

CASES = {
    # name: (columns, where)
    "pair": (["a", "b"], "1 = 1"),
    "one_column": (["a"], "1 = 1"),
    "filtered": (["a"], "b is not null"),
}


def _branch(name: str, form: str, columns: list[str], where: str) -> str:
    macro = "repeated_keys" if form == "hashed" else "default__repeated_keys"
    b = "b" if "b" in columns else "cast(null as integer) as b"
    return (
        f"select '{name}' as case_name, '{form}' as form, a, {b}, n_rows "
        f"from ({{{{ {macro}('main.key_cases', {columns!r}, {where!r}) }}}}) as k"
    )


UNIQUE_CASES = {
    # name: column expression given to the unique test
    "unique_column": "a",
    "unique_expression": "upper(a)",
}


def _unique_branch(name: str, form: str, column: str) -> str:
    macro = "duckdb__test_unique" if form == "hashed" else "dbt.default__test_unique"
    return (
        f"select '{name}' as case_name, '{form}' as form, unique_field as a, "
        f"cast(null as integer) as b, n_records as n_rows "
        f"from ({{{{ {macro}('main.key_cases', {column!r}) }}}}) as u"
    )


def test_hash_first_repeated_keys_equal_the_plain_group_by(tmp_path):
    db = tmp_path / "keys.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create table main.key_cases (a varchar, b integer)")
    con.executemany("insert into main.key_cases values (?, ?)", ROWS)
    con.close()
    raw = tmp_path / "raw"
    raw.mkdir()
    sql = " union all ".join(
        _branch(name, form, columns, where)
        for name, (columns, where) in CASES.items()
        for form in ("hashed", "plain")
    ) + "".join(
        " union all " + _unique_branch(name, form, column)
        for name, column in UNIQUE_CASES.items()
        for form in ("hashed", "plain")
    )
    run = run_dbt_ok(
        "dbt show of repeated_keys",
        ["show", "--inline", sql, "--limit", "100", "--output", "json", "--log-format", "json"],
        raw,
        db,
        tmp_path,
    )
    preview = [
        json.loads(event["data"]["preview"])
        for event in map(json.loads, filter(None, run.output.splitlines()))
        if event.get("data", {}).get("preview")
    ][-1]
    found: dict[tuple[str, str], set] = {}
    for row in preview:
        found.setdefault((row["case_name"], row["form"]), set()).add((row["a"], row["b"], row["n_rows"]))

    expected = {
        "pair": {("x", 1, 2), (None, 1, 2), (None, None, 2)},
        "one_column": {("x", None, 3), (None, None, 4)},
        "filtered": {("x", None, 3), (None, None, 2)},
        # the unique test ignores nulls: only x (three rows) fails
        "unique_column": {("x", None, 3)},
        "unique_expression": {("X", None, 3)},
    }
    for name, keys in expected.items():
        assert found.get((name, "plain")) == keys, (name, found.get((name, "plain")))
        assert found.get((name, "hashed")) == keys, (name, found.get((name, "hashed")))
