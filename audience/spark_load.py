"""Load a raw folder into Spark tables, the way an EL tool would (docs/engines.md).

On DuckDB the `land_raw_files` hook lands the raw folder itself. On Spark (and any other
warehouse) the sources are tables that something else loads; this is that loader for local
Spark and for tests:

    python -m audience.spark_load --raw data/raw

For every source table in models/staging/*/_*__sources.yml whose YAML carries `meta.raw_file`,
it finds the files of the raw folder with the same layout rules as the DuckDB hook
(docs/data_contract.md: `<stem>.csv`, `<stem>.csv.gz`, `<stem>.parquet`, `<stem>/*.csv`,
`<stem>/*.csv.gz`, `<stem>/*.parquet`, never under a folder starting with `_`), reads each
file with DuckDB's CSV/Parquet reader (every column as text, header names matched
case-insensitively after trimming), and writes `<raw_schema>.<identifier>` as a Parquet table:
every declared column as string plus `_source_file` (the path as found under the raw folder),
`_source_row` (1-based row position among the file's parsed rows) and `_loaded_at` (one value
per load). CSV lines the reader rejects go to `<raw_schema>.<identifier>__rejects`, which the
quality models read (macros/quality/raw_relations.sql). A missing required column or a
declared column that appears twice in a header stops the load with the file and the column
named; a missing optional column is null; a missing optional source is an empty table.

Every load replaces the tables (no incremental loading): the raw folder is the truth.

The SparkSession comes from the same settings as the dbt profile's `spark` target
(`spark_conf()`), so dbt, run afterwards with `--target spark`, finds the tables in the same
Hive metastore under AUDIENCE_SPARK_DIR.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SPARK_DIR = "warehouse/spark"


def spark_conf(spark_dir: str | None = None) -> dict[str, str]:
    """The Spark settings of the profile's `spark` target (profiles.yml), for the same metastore."""
    base = Path(spark_dir or os.environ.get("AUDIENCE_SPARK_DIR", DEFAULT_SPARK_DIR)).resolve()
    return {
        "spark.master": "local[2]",
        "spark.app.name": "audience",
        "spark.sql.warehouse.dir": str(base / "warehouse"),
        # a relative Derby database name resolves against derby.system.home, as in profiles.yml
        "spark.hadoop.javax.jdo.option.ConnectionURL": "jdbc:derby:;databaseName=metastore_db;create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={base}",
        "spark.local.dir": str(base / "tmp"),
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.enabled": "false",
        "spark.driver.memory": "2g",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
    }


def spark_session(spark_dir: str | None = None):
    """A local SparkSession with Hive support on the project's metastore (see spark_conf)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in spark_conf(spark_dir).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


@dataclass
class SourceTable:
    label: str  # <source_name>.<table>
    identifier: str
    stem: str
    columns: list[str]
    required: list[str] = field(default_factory=list)


def declared_sources(project_dir: Path = PROJECT_DIR) -> list[SourceTable]:
    """Source tables with `meta.raw_file`, their declared columns and the required ones."""
    found = []
    for path in sorted((project_dir / "models").rglob("*.yml")):
        doc = yaml.safe_load(path.read_text()) or {}
        for src in doc.get("sources") or []:
            for table in src.get("tables") or []:
                stem = (table.get("meta") or {}).get("raw_file")
                if not stem:
                    continue
                cols = table.get("columns") or []
                found.append(
                    SourceTable(
                        label=f"{src['name']}.{table['name']}",
                        identifier=table.get("identifier", table["name"]),
                        stem=stem,
                        columns=[c["name"] for c in cols],
                        required=[c["name"] for c in cols if (c.get("meta") or {}).get("required")],
                    )
                )
    return found


def source_files(raw: str, stem: str) -> list[str]:
    """The files of one source, as the DuckDB hook finds them (sorted, `_` folders excluded)."""
    base = raw.rstrip("/")
    patterns = [
        f"{base}/{stem}.csv", f"{base}/{stem}.csv.gz", f"{base}/{stem}.parquet",
        f"{base}/{stem}/*.csv", f"{base}/{stem}/*.csv.gz", f"{base}/{stem}/*.parquet",
    ]
    files = {p for pattern in patterns for p in glob.glob(pattern)}
    return sorted(f for f in files if not any(part.startswith("_") for part in Path(f).parts[-2:-1]))


class LoadError(Exception):
    """A raw file that cannot be loaded as the contract says (names file and column)."""


def _header_key(name: str) -> str:
    return name.replace("\ufeff", "").strip().lower().replace(" ", "_")


def _arrow(result):
    """The result as an Arrow table (DuckDB renamed fetch_arrow_table to to_arrow_table)."""
    fetch = getattr(result, "to_arrow_table", None) or result.fetch_arrow_table
    return fetch()


def read_source(con, src: SourceTable, files: list[str], loaded_at: dt.datetime):
    """Rows and rejected lines of one source's files as two Arrow tables (all text)."""
    row_parts, reject_parts = [], []
    for n, path in enumerate(files):
        if os.path.getsize(path) == 0:
            continue
        p = path.replace("'", "''")
        rj = f"audience_rejects_{n}"
        if path.endswith(".parquet"):
            reader = f"read_parquet('{p}')"
        else:
            reader = (
                f"read_csv('{p}', all_varchar = true, header = true, store_rejects = true, "
                f"rejects_table = '{rj}', rejects_scan = '{rj}_scan', max_line_size = 2097152)"
            )
        described = [r[0] for r in con.execute(f"describe select * from {reader}").fetchall()]
        found: dict[str, str] = {}
        duplicated = []
        for name in described:
            key = _header_key(name)
            if key in found:
                duplicated.append(key)
            else:
                found[key] = name
        for key in list(found):
            base, _, suffix = key.rpartition("_")
            if base and suffix.isdigit() and base in found:
                duplicated.append(base)
        duplicated = sorted({d for d in duplicated if d in src.columns})
        if duplicated:
            raise LoadError(
                f"Raw file {path} (source {src.label}) has duplicate column(s) {', '.join(duplicated)} "
                "in its header: which one holds the data is ambiguous. See docs/data_contract.md."
            )
        missing = [c for c in src.required if c not in found]
        if missing:
            raise LoadError(
                f"Raw file {path} (source {src.label}) is missing required column(s) "
                f"{', '.join(missing)}. Columns found: {', '.join(described)}. See docs/data_contract.md."
            )
        select = [
            (f'cast("{found[c]}" as varchar)' if c in found else "cast(null as varchar)") + f' as "{c}"'
            for c in src.columns
        ]
        rows = _arrow(con.execute(
            f"select {', '.join(select)}, '{p}' as _source_file, "
            f"cast(ordinality as bigint) as _source_row from {reader} with ordinality"
        ))
        row_parts.append(rows)
        if not path.endswith(".parquet"):
            rejects = _arrow(con.execute(
                f"select '{p}' as _source_file, cast(line as bigint) as line_number, "
                f"cast(error_type as varchar) as error_type, error_message, csv_line as raw_line from {rj}"
            ))
            reject_parts.append(rejects)
            con.execute(f"drop table if exists {rj}")
            con.execute(f"drop table if exists {rj}_scan")

    row_schema = pa.schema(
        [(c, pa.string()) for c in src.columns] + [("_source_file", pa.string()), ("_source_row", pa.int64())]
    )
    reject_schema = pa.schema([
        ("_source_file", pa.string()), ("line_number", pa.int64()), ("error_type", pa.string()),
        ("error_message", pa.string()), ("raw_line", pa.string()),
    ])
    rows = (
        pa.concat_tables([t.cast(row_schema) for t in row_parts]) if row_parts else row_schema.empty_table()
    )
    rows = rows.append_column("_loaded_at", pa.array([loaded_at] * rows.num_rows, pa.timestamp("us")))
    rejects = (
        pa.concat_tables([t.cast(reject_schema) for t in reject_parts])
        if reject_parts else reject_schema.empty_table()
    )
    return rows, rejects


def _write(spark, table, name: str) -> None:
    """Replace the Spark table `name` with the Arrow table (Parquet, managed)."""
    from pyspark.sql import types as T

    type_of = {"string": T.StringType(), "int64": T.LongType(), "timestamp[us]": T.TimestampType()}
    schema = T.StructType([T.StructField(f.name, type_of[str(f.type)], True) for f in table.schema])
    df = spark.createDataFrame(table.to_pandas(), schema=schema) if table.num_rows else (
        spark.createDataFrame([], schema)
    )
    spark.sql(f"drop table if exists {name}")
    df.write.format("parquet").saveAsTable(name)


def load(raw: str, spark, raw_schema: str = "raw", project_dir: Path = PROJECT_DIR) -> dict[str, int]:
    """Load every declared source of the raw folder into `raw_schema`; rows per table."""
    import duckdb

    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    spark.sql(f"create database if not exists {raw_schema}")
    con = duckdb.connect()
    counts = {}
    for src in declared_sources(project_dir):
        rows, rejects = read_source(con, src, source_files(raw, src.stem), loaded_at)
        _write(spark, rows, f"{raw_schema}.{src.identifier}")
        _write(spark, rejects, f"{raw_schema}.{src.identifier}__rejects")
        counts[src.identifier] = rows.num_rows
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="load a raw folder into local Spark tables (docs/engines.md)"
    )
    parser.add_argument("--raw", default=os.environ.get("AUDIENCE_RAW_PATH", "data/raw"))
    parser.add_argument("--raw-schema", default="raw", help="the dbt var raw_schema (default raw)")
    parser.add_argument("--spark-dir", default=None, help="default $AUDIENCE_SPARK_DIR or warehouse/spark")
    args = parser.parse_args(argv)
    spark = spark_session(args.spark_dir)
    try:
        counts = load(args.raw, spark, args.raw_schema)
    except LoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        spark.stop()
    for name, n in counts.items():
        print(f"  {args.raw_schema}.{name:<28} {n:>10,} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
