"""Landing awkward files end to end (dbt, hand-built minimal folders): what is read, what is
quarantined with which reason, and the message that stops the build naming the file.

The raw folder's path holds an apostrophe and a blank, so every test also proves that paths
reaching SQL are quoted.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import duckdb
import pytest

from .conftest import DbtRun, run_dbt, run_dbt_ok

pytestmark = pytest.mark.e2e

AS_OF = "2024-06-30"
SELECT = [
    "--select",
    "+dq_reconciliation",
    "+dq_raw_files",
    "+int_customers_deduplicated",
    "+int_email_events_deduplicated",
    "--indirect-selection",
    "cautious",
    "--vars",
    f"{{as_of_date: '{AS_OF}'}}",
]
ORDERS_HEADER = "order_id,customer_id,ordered_at,order_total\n"
ZWSP, BOM, NBSP = "\u200b", "\ufeff", "\u00a0"


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def make_text_folder(raw: Path) -> None:
    # customers: Windows-1252, renamed headers (customerID, E-mail), messy emails, synonyms
    write(
        raw / "customers.csv",
        (
            "customerID,E-mail,first_name,country\r\n"
            "C1,mailto:Ann@Example.org,Zoë,RSA\r\n"
            "C2,<bob@example.org>,O’Brien,U.A.E.\r\n"
            "C3,a@example.org; b@example.org,Cem,Deutschland\r\n"
            "C4,dora@example.org,Dora €,UK\r\n"
        ).encode("cp1252"),
    )
    # orders: ids carrying invisible characters (zero-width space, BOM, non-breaking space)
    write(
        raw / "orders.csv",
        ORDERS_HEADER
        + f"O1,C1{ZWSP},2024-03-01,10\n"
        + f"O2{BOM},C2,2024-03-02,20\n"
        + f"O3,{NBSP}C4,2024-03-03,30\n"
        + "O4,C3,2024-03-04,40\n",
    )
    # batches: the same order in batch_9 and batch_10; batch_10 is the later file
    write(raw / "orders" / "batch_9.csv", ORDERS_HEADER + "B1,C1,2024-04-01,9\n")
    write(raw / "orders" / "batch_10.csv", ORDERS_HEADER + "B1,C1,2024-04-01,10\n")
    # email events: Excel "Unicode text" (UTF-16 with BOM, tab-separated)
    write(
        raw / "email_events.csv",
        (
            "email_event_id\tcustomer_id\temail\tcampaign_id\tevent_type\tevent_at\r\n"
            f"E1\tC2{ZWSP}\t\tK1\tsent\t2024-05-01\r\n"
            "E2\t\ta@example.org, b@example.org\tK1\tsent\t2024-05-01\r\n"
            f"E3\t\tMAILTO:{ZWSP}Dora@Example.org\tK1\topen\t2024-05-02\r\n"
        ).encode("utf-16"),
    )
    # survey: a European Excel export with its `sep=;` first line
    write(
        raw / "survey_responses.csv",
        "sep=;\nresponse_id;customer_id;submitted_at;nps_score\nR1;C1;2024-05-03;9\nR2;C4;2024-05-04;7\n",
    )


@pytest.fixture(scope="module")
def text_build(tmp_path_factory) -> DbtRun:
    work = tmp_path_factory.mktemp("landing_text")
    raw = work / "it's raw data"
    make_text_folder(raw)
    return run_dbt_ok("dbt build on the text folder", ["build", *SELECT], raw, work / "a.duckdb", work)


def test_windows_1252_customers_read_with_their_characters(text_build):
    rows = text_build.query("select customer_id, first_name from int_customers_deduplicated order by 1")
    assert rows == [("C1", "Zoë"), ("C2", "O’Brien"), ("C3", "Cem"), ("C4", "Dora €")]
    encodings = dict(
        text_build.query("select regexp_extract(file_path, '[^/]+$'), encoding from raw._audience_files")
    )
    assert encodings["customers.csv"] == "cp1252"
    assert encodings["email_events.csv"] == "utf-16"


def test_renamed_headers_are_read_and_reported(text_build):
    emails = dict(text_build.query("select customer_id, email from int_customers_deduplicated"))
    assert emails["C4"] == "dora@example.org"  # E-mail read as email
    notes = text_build.query("select header_notes from dq_raw_files where file_path like '%/customers.csv'")[
        0
    ][0]
    assert 'read column "customerID" as customer_id' in notes and 'read column "E-mail" as email' in notes
    assert "Raw file" in text_build.output and 'read column "E-mail" as email' in text_build.output


def test_emails_are_normalized_or_flagged(text_build):
    rows = text_build.query(
        "select customer_id, email, has_invalid_email from int_customers_deduplicated order by 1"
    )
    assert rows == [
        ("C1", "ann@example.org", False),  # mailto: stripped
        ("C2", "bob@example.org", False),  # <...> stripped
        ("C3", None, True),  # two addresses: no email, flagged
        ("C4", "dora@example.org", False),
    ]
    events = dict(
        text_build.query("select email_event_id, coalesce(email, dq_reason) from int_email_events_validated")
    )
    assert events == {"E1": None, "E2": "invalid_email", "E3": "dora@example.org"}


def test_country_synonyms_map(text_build):
    rows = dict(text_build.query("select customer_id, country_code from int_customers_deduplicated"))
    assert rows == {"C1": "ZA", "C2": "AE", "C3": "DE", "C4": "GB"}


def test_ids_lose_invisible_characters_everywhere(text_build):
    orders = dict(text_build.query("select order_id, customer_id from int_orders_deduplicated"))
    assert orders == {"O1": "C1", "O2": "C2", "O3": "C4", "O4": "C3", "B1": "C1"}
    # every order found its customer, and the email event its customer
    assert text_build.query("select count(*) from dq_quarantine where reason_code = 'unknown_customer'") == [
        (0,)
    ]
    assert text_build.query(
        "select customer_id from int_email_events_validated where email_event_id = 'E1'"
    ) == [("C2",)]


def test_batches_in_natural_order_latest_wins(text_build):
    assert text_build.query("select order_total from int_orders_deduplicated where order_id = 'B1'") == [
        (10,)
    ]


def test_excel_sep_line_is_honoured(text_build):
    rows = text_build.query("select response_id, nps_score from int_survey_responses_validated order by 1")
    assert rows == [("R1", 9), ("R2", 7)]


def test_reconciliation_holds(text_build):
    rows = text_build.df("select * from dq_reconciliation").set_index("source")
    assert (rows["unaccounted_rows"] == 0).all(), rows
    assert text_build.query("select count(*) from dq_quarantine where reason_code = 'unparseable_line'") == [
        (0,)
    ]


# ------------------------------------------------------------------------------------------
# files that stop the build, naming the path; and content edits seen by checksum
# ------------------------------------------------------------------------------------------


def land(work: Path, raw: Path) -> DbtRun:
    # the landing hook runs before any model: selecting one cheap model is enough
    return run_dbt(["run", "--select", "stg_shop__orders"], raw, work / "a.duckdb", work)


def orders_text(n: int) -> str:
    return ORDERS_HEADER + "".join(f"O{i},C{i},2024-01-01,{i}\n" for i in range(n))


@pytest.fixture
def raw(tmp_path) -> Path:
    folder = tmp_path / "it's raw data"
    write(folder / "orders.csv", orders_text(3))
    return folder


def test_truncated_gzip_stops_the_build_and_lands_nothing_of_it(tmp_path, raw):
    data = gzip.compress(orders_text(9000).encode())
    write(raw / "orders" / "day1.csv.gz", data[: len(data) // 2])
    run = land(tmp_path, raw)
    assert run.returncode != 0
    assert (
        f"Raw file {raw}/orders/day1.csv.gz (source shop.orders) is a corrupt or truncated gzip" in run.output
    )
    assert "Traceback" not in run.output


def test_two_formats_of_one_data_set_stop_the_build(tmp_path, raw):
    write(raw / "orders.csv.gz", gzip.compress(orders_text(3).encode()))
    run = land(tmp_path, raw)
    assert run.returncode != 0
    assert f"{raw}/orders.csv and {raw}/orders.csv.gz hold the same data set" in run.output


def test_broken_link_stops_the_build(tmp_path, raw):
    (raw / "orders").mkdir()
    (raw / "orders" / "day2.csv").symlink_to(tmp_path / "nowhere.csv")
    run = land(tmp_path, raw)
    assert run.returncode != 0
    assert f"{raw}/orders/day2.csv is a broken symbolic link" in run.output
    assert "Traceback" not in run.output


def test_edit_with_same_size_and_time_is_relanded(tmp_path, raw):
    path = raw / "orders.csv"
    write(path, ORDERS_HEADER + "O1,C1,2024-01-01,11\n")
    assert land(tmp_path, raw).returncode == 0
    stat = path.stat()
    write(path, ORDERS_HEADER + "O1,C1,2024-01-01,99\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    run = land(tmp_path, raw)
    assert run.returncode == 0, run.output[-3000:]
    con = duckdb.connect(str(tmp_path / "a.duckdb"), read_only=True)
    try:
        assert con.execute("select order_total from raw.orders").fetchall() == [("99",)]
    finally:
        con.close()


def test_header_like_a_missing_column_is_suggested_not_read(tmp_path, raw):
    write(
        raw / "orders.csv",
        "order_id,Customer Number,ordered_at,order_total,Discount\nO1,C1,2024-01-01,5,1\n",
    )
    run = land(tmp_path, raw)
    assert run.returncode != 0
    assert (
        f"Raw file {raw}/orders.csv (source shop.orders) is missing required column(s) customer_id"
        in run.output
    )
    assert 'Did you mean "Customer Number" for customer_id?' in run.output
    assert '"Discount" (if it holds discount_amount, rename it to that)' in run.output
