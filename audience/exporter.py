"""The activation files written from the export tables: `audience export` (docs/engines.md).

On DuckDB the export models write their files during `dbt build` (the `export_files`
materialization). On every other engine they are plain tables, and this step writes the same
files after the build, reading the tables through the engine's own session:

    audience export --target spark --out exports

For each export model (`export_<destination>_<format>`) it writes one file per segment,
`<out>/<destination>/<format>/segment=<segment>/members_0.<format>`, the rows sorted as the
DuckDB materialization sorts them, the columns in the table's order, CSV with a header,
comma-separated, a value holding a comma, quote or line break in double quotes with its quotes
doubled (RFC 4180), nulls empty. A table with no rows writes no file; files of a previous
export in that folder are removed first. Then it writes `<out>/manifest.csv` from the
`export_manifest` table and checks every file against it: a file the manifest does not list,
a manifest row without a file, or a row count that differs stops the export with the file named.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

EXPORTS = [
    ("crm_email", "csv"), ("crm_email", "parquet"), ("ad_audiences", "csv"), ("ad_audiences", "parquet"),
]
# the order of the rows in every file (macro activation_export_order)
ORDER = {"crm_email": ["segment", "person_id"], "ad_audiences": ["segment", "email_sha256"]}
MANIFEST_ORDER = ["destination", "file_format", "segment"]


class ExportMismatch(RuntimeError):
    """The files written and the export_manifest table disagree."""


@dataclass(frozen=True)
class WrittenFile:
    destination: str
    file_format: str
    segment: str
    path: Path
    rows: int


def _timestamp_text(value: pd.Timestamp) -> str:
    """A timestamp as DuckDB writes it to CSV: seconds always, fractions without trailing zeros."""
    if pd.isna(value):
        return ""
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    return text + (f".{value.microsecond:06d}".rstrip("0") if value.microsecond else "")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """`frame` as CSV in the dialect of the DuckDB export files (module docstring); timestamps
    as DuckDB writes them (pandas would drop a midnight time when every value has one)."""
    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_datetime64_dtype(frame[column]):
            frame[column] = frame[column].map(_timestamp_text)
    frame.to_csv(path, index=False, sep=",", quotechar='"', doublequote=True,
                 quoting=csv.QUOTE_MINIMAL, lineterminator="\n", na_rep="")


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)


def _clear(folder: Path, file_format: str) -> None:
    """Remove the segment folders a previous export wrote (and nothing else)."""
    for old in folder.glob(f"segment=*/members_*.{file_format}"):
        old.unlink()
    for part in folder.glob("segment=*"):
        if part.is_dir() and not any(part.iterdir()):
            part.rmdir()


def write_destination(frame: pd.DataFrame, out: Path, destination: str, file_format: str
                      ) -> list[WrittenFile]:
    """One file per segment of one export table; returns what was written."""
    folder = out / destination / file_format
    folder.mkdir(parents=True, exist_ok=True)
    _clear(folder, file_format)
    writer = write_csv if file_format == "csv" else write_parquet
    written = []
    ordered = frame.sort_values(ORDER[destination], kind="mergesort").reset_index(drop=True)
    for segment, part in ordered.groupby("segment", sort=True):
        path = folder / f"segment={segment}" / f"members_0.{file_format}"
        path.parent.mkdir(exist_ok=True)
        writer(part.reset_index(drop=True), path)
        written.append(WrittenFile(destination, file_format, str(segment), path, len(part)))
    return written


def check_against_manifest(written: list[WrittenFile], manifest: pd.DataFrame) -> None:
    """Every file written has its manifest row with the same row count, and the reverse."""
    expected = {
        (r.destination, r.file_format, r.segment): int(r.row_count) for r in manifest.itertuples(index=False)
    }
    got = {(w.destination, w.file_format, w.segment): w for w in written}
    for key, w in got.items():
        if key not in expected:
            raise ExportMismatch(f"{w.path}: written, but export_manifest has no row for {key}")
        if expected[key] != w.rows:
            raise ExportMismatch(f"{w.path}: {w.rows} rows written, export_manifest says {expected[key]}")
    for key in expected.keys() - got.keys():
        raise ExportMismatch(f"export_manifest lists {key}, but its export table has no rows for it")


def write_exports(read: Callable[[str], pd.DataFrame], out: Path) -> list[WrittenFile]:
    """Write every export table's files and manifest.csv under `out`; `read(model)` returns a
    model's table as pandas (e.g. through `audience.dbt_frames.to_pandas`)."""
    out = Path(out)
    written: list[WrittenFile] = []
    for destination, file_format in EXPORTS:
        table = read(f"export_{destination}_{file_format}")
        written += write_destination(table, out, destination, file_format)
    manifest = read("export_manifest").sort_values(MANIFEST_ORDER, kind="mergesort").reset_index(drop=True)
    check_against_manifest(written, manifest)
    write_csv(manifest, out / "manifest.csv")
    return written


Reader = tuple[Callable[[str], pd.DataFrame], Callable[[], None]]


def spark_reader(spark_dir: str | None, schema: str) -> Reader:
    """Read tables of the local Spark warehouse (the profile's `spark` target) as pandas."""
    from audience.dbt_frames import to_pandas
    from audience.spark_load import spark_session

    session = spark_session(spark_dir)
    return (lambda name: to_pandas(session.table(f"{schema}.{name}"))), session.stop


def duckdb_reader(path: str, schema: str) -> Reader:
    """Read tables of a DuckDB warehouse file as pandas (read-only), through Arrow so that a
    DATE stays a date (DuckDB's `.df()` turns it into a timestamp)."""
    import duckdb

    con = duckdb.connect(path, read_only=True)

    def read(name: str) -> pd.DataFrame:
        return con.sql(f'select * from "{schema}"."{name}"').to_arrow_table().to_pandas()

    return read, con.close

