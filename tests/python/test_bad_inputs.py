"""Bad raw inputs: every malformed file or value is quarantined with the right reason code, or
the build stops with an error that names the file and the column.

One build reads a raw folder full of problems (every source, several files per source), so the
quarantine cases share it; only the inputs that must stop the build get a build of their own.
Reason codes: docs/dbt/customer_profiles.md (doc block dq_reason_codes).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .conftest import DbtRun, run_dbt, run_dbt_ok

pytestmark = pytest.mark.e2e

AS_OF = "2024-06-30"
# The models the quarantine needs (and their tests): no clustering or scoring on a toy folder.
SELECT = [
    "--select",
    "+dq_reconciliation",
    "+dq_raw_files",
    "+dq_column_audit",
    "+customer_profiles",
    "assert_identity_stitching_converged",
    "--indirect-selection",
    "cautious",
    "--vars",
    f"{{as_of_date: '{AS_OF}'}}",
]

ORDERS_HEADER = "order_id,customer_id,ordered_at,order_total,currency,status,channel,discount_amount\n"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def make_bad_folder(raw: Path) -> None:
    """A raw folder where every source carries problems (keys say which case a row is)."""
    # ---- customers: UTF-8 BOM, upper-case and blank-padded header names; clean otherwise
    write(
        raw / "customers.csv",
        "\ufeff CUSTOMER_ID , Email ,First_Name,last_name,phone,GENDER,birth_date,Country,region,city,"
        "income_band,Signup_At,updated_at\n"
        "C1,c1@example.org,Ann,A,+49 1,F,1980-01-01,DE,Bavaria,Munich,high,2024-01-01,2024-01-02\n"
        "C2,c2@example.org,Bob,B,,m,0001-01-01,U.K.,,London,low,2024-01-05,2024-01-06\n"
        "C3,c3@example.org,Cem,C,,x,1990-02-02,Deutschland,,Berlin,middle,2024-02-01,2024-02-01\n",
    )
    # ---- orders: one value problem per row, key = case
    write(
        raw / "orders.csv",
        ORDERS_HEADER
        + "OK1,C1,2024-03-01,100.00,EUR,completed,web,0\n"
        + "OK2,C2,2024-04-01 10:00:00,50,EUR,completed,web,5\n"
        + "AMT_TEXT,C1,2024-03-02,twelve,EUR,completed,web,0\n"
        + "AMT_1E308,C1,2024-03-03,1e308,EUR,completed,web,0\n"
        + "AMT_40DIGITS,C1,2024-03-04,1234567890123456789012345678901234567890,EUR,completed,web,0\n"
        + "AMT_1E309,C1,2024-03-05,1e309,EUR,completed,web,0\n"
        + "AMT_NEG,C1,2024-03-06,-5,EUR,completed,web,0\n"
        + "DATE_FUTURE,C1,2099-01-01,10,EUR,completed,web,0\n"
        + "DATE_FAR_FUTURE,C1,9999-12-31,10,EUR,completed,web,0\n"
        + "DATE_YEAR1,C1,0001-01-01,10,EUR,completed,web,0\n"
        + ",C1,2024-03-07,10,EUR,completed,web,0\n"
        + "   ,C1,2024-03-08,10,EUR,completed,web,0\n"
        + "WS_CUSTOMER,   ,2024-03-09,10,EUR,completed,web,0\n"
        + "UNKNOWN_CUST,C999,2024-03-10,10,EUR,completed,web,0\n"
        + "OK3,C3,2024-05-01,20,EUR,completed,app,0\n"
        + "OK3,C3,2024-05-01,20,EUR,completed,app,0\n",
    )
    # ---- orders batch files: lines the CSV reader must reject, and an unterminated quote
    write(
        raw / "orders" / "2024-06-01.csv",
        ORDERS_HEADER
        + "B_OK,C1,2024-06-01,10,EUR,completed,web,0\n"
        + "B_SEMI;C1;2024-06-01;10;EUR;completed;web;0\n"
        + "B_WIDE,C1,2024-06-01,10,EUR,completed,web,0,surplus,columns\n"
        + 'B_QUOTE,C1,2024-06-01,"10,EUR,completed,web,0\n',
    )
    # a Windows-1252 file (no valid UTF-8 multi-byte character): read as Windows-1252
    write(
        raw / "orders" / "2024-06-02.csv",
        ORDERS_HEADER.encode()
        + b"L_OK,C1,2024-06-02,10,EUR,completed,web,0\n"
        + b"L_LATIN1,C1,2024-06-02,10,EUR,completed,M\xfcnchen,0\n",
    )
    # UTF-8 with one line of invalid bytes: the file stays UTF-8, that line alone is rejected
    write(
        raw / "orders" / "2024-06-04.csv",
        ORDERS_HEADER.encode()
        + "U_OK,C1,2024-06-04,10,EUR,completed,Köln,0\n".encode()
        + b"U_BAD,C1,2024-06-04,10,EUR,completed,M\xfcnchen,0\n",
    )
    # ---- order lines: negative quantity, orphan line, clean line
    write(
        raw / "order_items.csv",
        "order_id,line_number,product_id,category,quantity,unit_price\n"
        "OK1,1,P1,books,2,50\n"
        "OK1,2,P2,toys,-1,10\n"
        "NO_SUCH_ORDER,1,P1,books,1,10\n"
        "AMT_NEG,1,P1,books,1,10\n",
    )
    # ---- web events: a Parquet file with wrong column types (event_at stored as boolean)
    pq.write_table(
        pa.table(
            {
                "event_id": pa.array([101, 102], pa.int64()),
                "anonymous_id": ["d1", "d1"],
                "customer_id": [None, "C1"],
                "session_id": ["s1", "s1"],
                "event_type": ["page_view", "login"],
                "event_at": pa.array([True, False], pa.bool_()),
            }
        ),
        raw / "web_events.parquet",
    )
    # ---- web events CSV: custom event type (kept as `other`), blank identity
    write(
        raw / "web_events" / "2024-06-03.csv",
        "event_id,anonymous_id,customer_id,session_id,event_type,event_at\n"
        "W_CUSTOM,d2,,s2,newsletter_popup,2024-06-03 10:00:00\n"
        "W_LOGIN,d2,C2,s2,login,2024-06-03 10:01:00\n"
        "W_NOBODY,,,s3,page_view,2024-06-03 10:02:00\n"
        "W_FUTURE,d2,,s2,page_view,2099-01-01 10:00:00\n"
        "W_SLASHED,d2,,s2,PageView,2024/06/03 10:03:00\n",
    )
    # ---- email events: unknown event type
    write(
        raw / "email_events.csv",
        "email_event_id,customer_id,email,campaign_id,event_type,event_at\n"
        "M_OK,C1,c1@example.org,K1,sent,2024-06-01\n"
        "M_FORWARD,C1,c1@example.org,K1,forwarded,2024-06-02\n"
        "M_OPEN,C1,c1@example.org,K1,open,2024-06-02\n",
    )
    # ---- survey: a 0-byte batch and one with an out-of-range score
    write(raw / "survey_responses" / "2024-06-01.csv", b"")
    write(
        raw / "survey_responses" / "2024-06-02.csv",
        "response_id,customer_id,email,submitted_at,nps_score,satisfaction_score\n"
        "R_OK,C1,,2024-06-02,9,5\n"
        "R_NPS11,C2,,2024-06-02,11,4\n",
    )
    # ---- consent: header only
    write(raw / "consent_events.csv", "consent_event_id,customer_id,channel,status,event_at,source\n")


@pytest.fixture(scope="module")
def bad_build(tmp_path_factory) -> DbtRun:
    work = tmp_path_factory.mktemp("bad_inputs")
    raw = work / "raw"
    make_bad_folder(raw)
    return run_dbt_ok(
        "dbt build on the bad-input folder", ["build", *SELECT], raw, work / "audience.duckdb", work
    )


def reasons(run: DbtRun, source: str) -> dict[str, str]:
    rows = run.query(
        "select business_key, reason_code from dq_quarantine "
        f"where source = '{source}' and business_key is not null"
    )
    return dict(rows)


def quarantined_row(run: DbtRun, source: str, file_suffix: str, row: int) -> str | None:
    rows = run.query(
        f"select reason_code from dq_quarantine where source = '{source}' "
        f"and _source_file like '%{file_suffix}' and _source_row = {row}"
    )
    return rows[0][0] if rows else None


def rejected_lines(run: DbtRun, file_suffix: str) -> dict[str, str]:
    """raw line -> reader error of the unparseable lines of one file."""
    rows = run.query(
        "select raw_values, reason_detail from dq_quarantine "
        f"where reason_code = 'unparseable_line' and _source_file like '%{file_suffix}'"
    )
    return dict(rows)


# ------------------------------------------------------------------------------------------
# values: quarantined with their reason
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("AMT_TEXT", "unparseable_amount"),  # wrong type in an amount
        ("AMT_1E308", "absurd_amount"),  # huge value
        ("AMT_40DIGITS", "absurd_amount"),  # 40-digit number
        ("AMT_1E309", "absurd_amount"),  # overflows a double: +inf
        ("AMT_NEG", "negative_amount"),
        ("DATE_FUTURE", "future_timestamp"),  # far future, still a plausible date
        ("DATE_FAR_FUTURE", "unparseable_date"),  # beyond 2100: a placeholder, not a date
        ("DATE_YEAR1", "unparseable_date"),  # year 0001
        ("WS_CUSTOMER", "missing_customer_id"),  # whitespace-only value
        ("UNKNOWN_CUST", "unknown_customer"),
        ("B_QUOTE", "unparseable_amount"),  # unterminated quote in an unquoted file: read literally
    ],
)
def test_bad_order_values_are_quarantined(bad_build, key, reason):
    assert reasons(bad_build, "shop.orders").get(key) == reason


def test_blank_and_whitespace_keys_are_missing_keys(bad_build):
    # rows 11 (empty) and 12 (blanks only) of orders.csv
    assert quarantined_row(bad_build, "shop.orders", "/orders.csv", 11) == "missing_key"
    assert quarantined_row(bad_build, "shop.orders", "/orders.csv", 12) == "missing_key"


def test_negative_quantity_and_orphan_lines(bad_build):
    assert reasons(bad_build, "shop.order_items") == {
        "OK1#2": "invalid_quantity",  # negative quantity
        "NO_SUCH_ORDER#1": "orphan_order",  # no such order
        "AMT_NEG#1": "orphan_order",  # its order is quarantined
    }
    raw = bad_build.query("select raw_values from dq_quarantine where business_key = 'OK1#2'")[0][0]
    assert '"quantity": "-1"' in raw  # the raw values are kept as text
    assert bad_build.query("select order_item_id from int_order_items_deduplicated") == [("OK1#1",)]


def test_unknown_event_types(bad_build):
    assert reasons(bad_build, "email.events") == {"M_FORWARD": "invalid_event_type"}
    # web trackers send custom events legitimately: kept as `other`, not quarantined
    custom = "select event_type from int_web_events_deduplicated where event_id = 'W_CUSTOM'"
    assert bad_build.query(custom) == [("other",)]
    assert reasons(bad_build, "web.events")["W_NOBODY"] == "missing_identity"


def test_raw_text_of_quarantined_and_reformatted_events_is_kept(bad_build):
    # staging keeps raw_event_type / raw_event_at only on flagged rows and where the text is
    # not the typed value's text; rows quarantined later (future_timestamp, decided in
    # int_web_events_validated) still show their raw values in dq_quarantine, read from raw
    assert reasons(bad_build, "web.events")["W_FUTURE"] == "future_timestamp"
    raw = bad_build.query("select raw_values from dq_quarantine where business_key = 'W_FUTURE'")[0][0]
    assert '"event_at": "2099-01-01 10:00:00"' in raw and '"event_type": "page_view"' in raw
    staged = (
        "select raw_event_type, raw_event_at, event_type, cast(event_at as varchar) "
        "from stg_web__events where event_id = '{}'"
    )
    # the raw text is the typed value's text: not repeated, nothing lost
    assert bad_build.query(staged.format("W_FUTURE")) == [(None, None, "page_view", "2099-01-01 10:00:00")]
    # another spelling and format: the raw text is kept
    assert bad_build.query(staged.format("W_SLASHED")) == [
        ("PageView", "2024/06/03 10:03:00", "page_view", "2024-06-03 10:03:00")
    ]
    # a flagged row keeps its raw text even when it is canonical
    assert bad_build.query(staged.format("W_NOBODY"))[0][:2] == ("page_view", "2024-06-03 10:02:00")


def test_out_of_range_score(bad_build):
    assert reasons(bad_build, "survey.responses") == {"R_NPS11": "out_of_range"}


def test_parquet_with_wrong_column_types(bad_build):
    # integers are read as text; a boolean in a timestamp column is no timestamp
    got = reasons(bad_build, "web.events")
    assert got["101"] == "unparseable_date"
    assert got["102"] == "unparseable_date"


# ------------------------------------------------------------------------------------------
# lines the CSV reader rejects: quarantined as unparseable_line, with the line itself
# ------------------------------------------------------------------------------------------


def test_too_many_columns_and_mixed_delimiters(bad_build):
    lines = rejected_lines(bad_build, "orders/2024-06-01.csv")
    assert lines.get("B_WIDE,C1,2024-06-01,10,EUR,completed,web,0,surplus,columns") == "TOO MANY COLUMNS"
    assert lines.get("B_SEMI;C1;2024-06-01;10;EUR;completed;web;0") == "MISSING COLUMNS"
    assert bad_build.query("select count(*) from int_orders_deduplicated where order_id = 'B_OK'") == [(1,)]


def test_non_utf8_bytes(bad_build):
    # a file in Windows-1252 is read as such: every line lands, with its characters
    assert rejected_lines(bad_build, "orders/2024-06-02.csv") == {}
    assert bad_build.query("select channel from raw.orders where order_id = 'L_LATIN1'") == [("München",)]
    assert bad_build.query("select count(*) from int_orders_deduplicated where order_id = 'L_OK'") == [(1,)]
    # invalid bytes in a UTF-8 file: that line is quarantined, the others land
    lines = rejected_lines(bad_build, "orders/2024-06-04.csv")
    assert list(lines.values()) == ["INVALID ENCODING"]
    assert bad_build.query("select count(*) from int_orders_deduplicated where order_id = 'U_OK'") == [(1,)]


# ------------------------------------------------------------------------------------------
# files: flagged in dq_raw_files, never an error
# ------------------------------------------------------------------------------------------


def test_empty_and_header_only_files(bad_build):
    status = dict(bad_build.query("select file_path, file_status from dq_raw_files"))
    by_name = {Path(p).parent.name + "/" + Path(p).name: s for p, s in status.items()}
    assert by_name["survey_responses/2024-06-01.csv"] == "empty_file"  # 0 bytes
    assert by_name["raw/consent_events.csv"] == "no_data_rows"  # header only
    assert by_name["orders/2024-06-01.csv"] == "has_rejected_lines"
    assert bad_build.query("select count(*) from raw.consent_events") == [(0,)]


def test_bom_and_messy_header_names_load_cleanly(bad_build):
    rows = bad_build.query(
        "select customer_id, email, gender, country_code, birth_date is null, has_invalid_birth_date "
        "from int_customers_deduplicated order by customer_id"
    )
    assert rows == [
        ("C1", "c1@example.org", "female", "DE", False, False),
        ("C2", "c2@example.org", "male", "GB", True, True),  # year-0001 birth date: nulled and flagged
        ("C3", "c3@example.org", "other", "DE", False, False),
    ]


def test_exact_duplicates_collapse(bad_build):
    assert bad_build.query(
        "select n_rows, n_versions, is_conflicting from dq_duplicates where business_key = 'OK3'"
    ) == [(2, 1, False)]


def test_every_row_is_accounted_for(bad_build):
    rows = bad_build.df("select * from dq_reconciliation").set_index("source")
    assert (rows["unaccounted_rows"] == 0).all(), rows
    assert rows.loc["shop.orders", "rejected_lines"] == 3
    assert rows.loc["shop.orders", "duplicate_rows_removed"] == 1
    # profiles still build on what is clean
    assert bad_build.query("select count(*) from customer_profiles")[0][0] == 3


# ------------------------------------------------------------------------------------------
# inputs that must stop the build, with the file and the column in the message
# ------------------------------------------------------------------------------------------


def fail_fast(tmp_path: Path, files: dict[str, str | bytes]) -> DbtRun:
    raw = tmp_path / "raw"
    for name, text in files.items():
        write(raw / name, text)
    # the landing hook runs before any model: selecting one cheap model is enough
    return run_dbt(["run", "--select", "stg_shop__orders"], raw, tmp_path / "a.duckdb", tmp_path)


def test_missing_required_column_stops_the_build_until_fixed(tmp_path):
    run = fail_fast(tmp_path, {"orders.csv": "order_id,customer_id,ordered_at\nO1,C1,2024-01-01\n"})
    assert run.returncode != 0
    assert "orders.csv" in run.output and "missing required column(s) order_total" in run.output
    # a refused file does not poison the warehouse: fixed, the next build lands it
    fixed = "order_id,customer_id,ordered_at,order_total\nO1,C1,2024-01-01,5\n"
    run = fail_fast(tmp_path, {"orders.csv": fixed})
    assert run.returncode == 0, run.output[-4000:]
    con = duckdb.connect(str(tmp_path / "a.duckdb"), read_only=True)
    try:
        assert con.execute("select count(*) from raw.orders").fetchone() == (1,)
    finally:
        con.close()


def test_duplicate_header_stops_the_build(tmp_path):
    run = fail_fast(
        tmp_path,
        {
            "orders.csv": "order_id,customer_id,ordered_at,order_total,order_id\nO1,C1,2024-01-01,1,O2\n",
        },
    )
    assert run.returncode != 0
    assert "orders.csv" in run.output and "duplicate column(s) order_id" in run.output


def test_unterminated_quote_in_a_quoted_file_stops_the_build(tmp_path):
    run = fail_fast(
        tmp_path,
        {
            "orders.csv": '"order_id","customer_id","ordered_at","order_total"\n'
            '"O1","C1","2024-01-01","10"\n"O2","C1","2024-01-01,10\n"O3","C1","2024-01-02","11"\n',
        },
    )
    assert run.returncode != 0
    assert "orders.csv" in run.output and "order_id" in run.output
    assert "unterminated quote" in run.output


def test_missing_required_source_stops_the_build(tmp_path):
    run = fail_fast(tmp_path, {"customers.csv": "customer_id\nC1\n"})
    assert run.returncode != 0
    assert "shop.orders" in run.output and "orders.csv" in run.output
