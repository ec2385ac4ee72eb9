"""The landing's file checks (audience/raw_files.py): what each kind of awkward file is read as,
or the problem text that stops the build, naming the path. No dbt here: the landing e2e tests
are in test_landing_files.py."""

from __future__ import annotations

import codecs
import gzip
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from audience import raw_files

HEADER = "order_id,customer_id,ordered_at,order_total\n"


def rows(n: int) -> str:
    return HEADER + "".join(f"O{i},C{i},2024-01-01,{i}.50\n" for i in range(n))


def test_natural_order_puts_batch_10_after_batch_9(tmp_path):
    for name in ("batch_10.csv", "batch_9.csv", "batch_1.csv", "batch_02.csv"):
        (tmp_path / "orders").mkdir(exist_ok=True)
        (tmp_path / "orders" / name).write_text(HEADER)
    scan = raw_files.scan_source(str(tmp_path), "orders")
    assert [Path(f["path"]).name for f in scan["files"]] == [
        "batch_1.csv",
        "batch_02.csv",
        "batch_9.csv",
        "batch_10.csv",
    ]
    assert scan["problems"] == []


def test_checksum_changes_when_content_changes_with_same_size_and_time(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "O1,C1,2024-01-01,10\n")
    before = raw_files.scan_source(str(tmp_path), "orders")["files"][0]
    stat = path.stat()
    path.write_text(HEADER + "O1,C1,2024-01-01,99\n")  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same modification time
    after = raw_files.scan_source(str(tmp_path), "orders")["files"][0]
    assert (after["size"], after["modified_at"]) == (before["size"], before["modified_at"])
    assert after["checksum"] != before["checksum"]


@pytest.mark.parametrize("other", ["orders.csv.gz", "orders.parquet"])
def test_one_data_set_in_two_formats_is_a_problem_naming_both(tmp_path, other):
    (tmp_path / "orders.csv").write_text(HEADER)
    (tmp_path / other).write_bytes(b"x")
    problems = raw_files.scan_source(str(tmp_path), "orders")["problems"]
    assert len(problems) == 1
    assert f"{tmp_path}/orders.csv" in problems[0] and f"{tmp_path}/{other}" in problems[0]


def test_same_name_in_two_formats_inside_a_batch_folder(tmp_path):
    (tmp_path / "orders").mkdir()
    (tmp_path / "orders" / "day1.csv").write_text(HEADER)
    (tmp_path / "orders" / "day1.csv.gz").write_bytes(gzip.compress(HEADER.encode()))
    (tmp_path / "orders" / "day2.csv").write_text(HEADER)
    problems = raw_files.scan_source(str(tmp_path), "orders")["problems"]
    assert len(problems) == 1 and "day1.csv and" in problems[0] and "day2" not in problems[0]


def test_a_top_file_and_a_batch_folder_are_no_conflict(tmp_path):
    (tmp_path / "orders.csv").write_text(HEADER)
    (tmp_path / "orders").mkdir()
    (tmp_path / "orders" / "orders.csv").write_text(HEADER)
    assert raw_files.scan_source(str(tmp_path), "orders")["problems"] == []


def test_broken_link_is_a_problem_naming_the_path(tmp_path):
    (tmp_path / "orders").mkdir()
    (tmp_path / "orders" / "day1.csv").symlink_to(tmp_path / "gone.csv")
    scan = raw_files.scan_source(str(tmp_path), "orders")
    assert scan["files"] == []
    link, target = tmp_path / "orders" / "day1.csv", tmp_path / "gone.csv"
    assert scan["problems"] == [f"{link} is a broken symbolic link (its target {target} does not exist)"]


def test_unreadable_file_is_a_problem_naming_the_path(tmp_path, monkeypatch):
    (tmp_path / "orders.csv").write_text(HEADER)

    def refuse(path):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(raw_files, "_sha256", refuse)
    scan = raw_files.scan_source(str(tmp_path), "orders")
    assert scan["problems"] == [f"{tmp_path}/orders.csv cannot be read (Permission denied)"]


def test_a_folder_named_like_a_file_is_a_problem(tmp_path):
    (tmp_path / "orders.csv").mkdir()
    assert raw_files.scan_source(str(tmp_path), "orders")["problems"] == [
        f"{tmp_path}/orders.csv is not a regular file"
    ]


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_gzip_is_a_problem(tmp_path, cut):
    data = gzip.compress(rows(5000).encode())
    path = tmp_path / "orders.csv.gz"
    path.write_bytes(data[: int(len(data) * cut)])
    prepared = raw_files.prepare_file(str(path))
    assert "corrupt or truncated gzip" in prepared["problem"]


def test_corrupt_gzip_is_a_problem(tmp_path):
    data = bytearray(gzip.compress(rows(5000).encode()))
    data[len(data) // 2] ^= 0xFF  # one flipped byte: the CRC or the deflate stream breaks
    path = tmp_path / "web_events.csv.gz"
    path.write_bytes(bytes(data))
    assert "corrupt or truncated gzip" in raw_files.prepare_file(str(path))["problem"]


def test_complete_gzip_is_read_in_place(tmp_path):
    path = tmp_path / "orders.csv.gz"
    path.write_bytes(gzip.compress(rows(10).encode()))
    assert raw_files.prepare_file(str(path)) == {
        "read_path": str(path),
        "encoding": "utf-8",
        "delimiter": None,
        "skip": 0,
        "problem": None,
    }


def test_truncated_parquet_is_a_problem(tmp_path):
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.table({"order_id": ["O1"] * 1000}), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "not a complete Parquet file" in raw_files.prepare_file(str(path))["problem"]
    pq.write_table(pa.table({"order_id": ["O1"]}), path)
    assert raw_files.prepare_file(str(path))["problem"] is None


def read_prepared(prepared: dict) -> str:
    text = Path(prepared["read_path"]).read_bytes().decode("utf-8")
    raw_files.release_file(prepared["read_path"])
    return text


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("cp1252", "cp1252"),  # Excel "CSV" on Windows: €, curly quotes
        ("utf-16", "utf-16"),  # Excel "Unicode text": BOM + UTF-16
    ],
)
def test_legacy_and_utf16_files_are_read_through_a_utf8_copy(tmp_path, encoding, expected):
    text = "customer_id,first_name,city\nC1,Zoë,München\nC2,O’Brien,Köln €\n"
    path = tmp_path / "customers.csv"
    path.write_bytes(text.encode(encoding))
    prepared = raw_files.prepare_file(str(path))
    assert prepared["encoding"] == expected and prepared["problem"] is None
    assert prepared["read_path"] != str(path)
    assert read_prepared(prepared) == text
    assert not Path(prepared["read_path"]).exists()  # released with its folder


def test_latin1_bytes_undefined_in_cp1252_read_as_latin1(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes("customer_id,city\nC1,Zürich\n".encode("latin-1") + b"C2,x\x81y\n")
    prepared = raw_files.prepare_file(str(path))
    assert prepared["encoding"] == "latin-1"
    assert "Zürich" in read_prepared(prepared)


def test_utf16_without_bom_is_recognized(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_bytes("customer_id\tcity\nC1\tMünchen\n".encode("utf-16-le"))
    prepared = raw_files.prepare_file(str(path))
    assert prepared["encoding"] == "utf-16-le"
    assert read_prepared(prepared) == "customer_id\tcity\nC1\tMünchen\n"


def test_utf8_with_and_without_bom_is_read_in_place(tmp_path):
    plain, bom = tmp_path / "a.csv", tmp_path / "b.csv"
    plain.write_text("customer_id,city\nC1,München\n", encoding="utf-8")
    bom.write_bytes(codecs.BOM_UTF8 + "customer_id,city\nC1,München\n".encode())
    assert raw_files.prepare_file(str(plain))["read_path"] == str(plain)
    assert raw_files.prepare_file(str(bom))["encoding"] == "utf-8-sig"


def test_utf8_with_a_stray_invalid_byte_stays_utf8(tmp_path):
    # valid multi-byte UTF-8 next to an invalid byte: not a legacy file; the reader rejects the
    # bad line alone (unparseable_line, INVALID ENCODING)
    path = tmp_path / "a.csv"
    path.write_bytes("customer_id,city\nC1,München\n".encode() + b"C2,M\xfcnchen\n")
    prepared = raw_files.prepare_file(str(path))
    assert (prepared["encoding"], prepared["read_path"]) == ("utf-8", str(path))


def test_excel_sep_line_sets_the_delimiter(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("sep=;\norder_id;order_total\nO1;12,50\n")
    prepared = raw_files.prepare_file(str(path))
    assert (prepared["delimiter"], prepared["skip"], prepared["read_path"]) == (";", 1, str(path))


def test_excel_sep_line_in_a_legacy_file_is_dropped_from_the_copy(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes("sep=;\r\norder_id;city\r\nO1;Köln\r\n".encode("cp1252"))
    prepared = raw_files.prepare_file(str(path))
    assert (prepared["delimiter"], prepared["skip"]) == (";", 0)
    assert read_prepared(prepared) == "order_id;city\r\nO1;Köln\r\n"


def test_release_keeps_files_it_did_not_make(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(HEADER)
    assert raw_files.release_file(str(path)) is False
    assert path.exists()
