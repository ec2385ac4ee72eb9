"""Data frames of dbt Python models on every engine dbt runs Python on (docs/engines.md).

`dbt.ref(...)` and `dbt.source(...)` return the engine's own frame: a DuckDB relation on
dbt-duckdb, a PySpark DataFrame on Databricks (and on BigQuery's Dataproc), a Snowpark
DataFrame on Snowflake. The statistics in this package work on pandas, so a model turns the
frame into pandas with `to_pandas`, which reads it through the engine's own converter:

    from audience.dbt_frames import to_pandas

    def model(dbt, session):
        summary = to_pandas(dbt.ref("int_clv_summary"))

Every engine also accepts a pandas DataFrame as the model's result, so nothing else changes.

A model that reads its own table from the previous build (`dbt.this`) does it with
`previous_table(session, dbt.this)`: pandas, or None when the table does not exist yet. The
existence check and the read are each engine's own (DuckDB's information_schema, Spark's
catalog, Snowflake's information_schema); no model runs engine-specific SQL itself.

`LocalDbt` is the `dbt` object of a local run of `model(dbt, session)` with a SparkSession,
which the Spark tests use to prove the Spark code path without a Databricks cluster: what a
Databricks submission does is call `model(dbt, spark)` with `dbt.ref` returning
`spark.table(...)` and write the returned frame as the model's table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd


def _engine(obj: Any) -> str:
    """The engine an object belongs to, from its module: duckdb's classes live in _duckdb, and
    dbt-duckdb hands Python models a cursor wrapper of its own (dbt.adapters.duckdb...)."""
    parts = type(obj).__module__.split(".")
    if parts[:3] == ["dbt", "adapters", "duckdb"]:
        return "duckdb"
    return parts[0].lstrip("_")


def to_pandas(frame: Any) -> pd.DataFrame:
    """A pandas DataFrame of `frame`: a DuckDB relation, a PySpark or Snowpark DataFrame, or
    pandas itself. Any other object is refused with its type named (never a guess)."""
    if isinstance(frame, pd.DataFrame):
        return frame
    kind = _engine(frame)
    if kind == "duckdb":
        return frame.df()
    if kind == "pyspark":
        return _spark_decimals_as_doubles(frame).toPandas()
    if kind == "snowflake":  # snowflake.snowpark.DataFrame
        return frame.to_pandas()
    raise TypeError(
        f"to_pandas: a {type(frame).__module__}.{type(frame).__name__} is not a frame of DuckDB, "
        "PySpark or Snowpark"
    )


def _spark_decimals_as_doubles(frame: Any) -> Any:
    """`frame` with its DECIMAL columns cast to DOUBLE. DuckDB's `.df()` turns a DECIMAL into
    float64, Spark's `toPandas()` into Python `Decimal` objects (an object column numpy cannot
    compute with); casting first gives the statistics the same float64 columns on both."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DecimalType

    decimals = {f.name for f in frame.schema.fields if isinstance(f.dataType, DecimalType)}
    if not decimals:
        return frame
    return frame.select(
        [F.col(f"`{name}`").cast("double").alias(name) if name in decimals else F.col(f"`{name}`")
         for name in frame.columns]
    )


def table_exists(session: Any, relation: Any) -> bool:
    """Whether `relation` (with .schema and .identifier, e.g. `dbt.this`) exists as a table or view."""
    kind = _engine(session)
    if kind == "duckdb":
        found = session.execute(
            "select count(*) from information_schema.tables "
            "where table_catalog = ? and table_schema = ? and table_name = ?",
            [relation.database, relation.schema, relation.identifier],
        ).fetchone()[0]
        return found > 0
    if kind == "pyspark":
        return bool(session.catalog.tableExists(f"{relation.schema}.{relation.identifier}"))
    if kind == "snowflake":  # unquoted identifiers are stored upper-case
        rows = session.sql(
            "select count(*) from information_schema.tables "
            "where table_schema = upper(?) and table_name = upper(?)",
            params=[relation.schema, relation.identifier],
        ).collect()
        return rows[0][0] > 0
    raise TypeError(f"table_exists: a {type(session).__module__}.{type(session).__name__} is not a session "
                    "of DuckDB, PySpark or Snowpark")


def read_table(session: Any, relation: Any) -> pd.DataFrame:
    """The whole table `relation` as pandas, read through the engine's own session."""
    kind = _engine(session)
    if kind == "duckdb":
        return to_pandas(session.sql(f"select * from {relation}"))
    if kind == "pyspark":
        return to_pandas(session.table(f"{relation.schema}.{relation.identifier}"))
    if kind == "snowflake":
        return to_pandas(session.table(str(relation)))
    raise TypeError(f"read_table: a {type(session).__module__}.{type(session).__name__} is not a session "
                    "of DuckDB, PySpark or Snowpark")


def previous_table(session: Any, relation: Any) -> pd.DataFrame | None:
    """The model's own table from the previous build (`dbt.this`), or None on the first build."""
    return read_table(session, relation) if table_exists(session, relation) else None


class LocalRelation:
    """`dbt.this` of a local run: `schema.identifier` as Spark names a table (no catalog)."""

    def __init__(self, schema: str, identifier: str):
        self.database = None
        self.schema = schema
        self.identifier = identifier

    def __repr__(self) -> str:
        return f"{self.schema}.{self.identifier}"


class _Config:
    """`dbt.config`: callable (the model's `dbt.config(...)` call) and `.get(key)` for its config."""

    def __init__(self, values: Mapping[str, Any]):
        self.values = dict(values)
        self.declared: dict[str, Any] = {}

    def __call__(self, **kwargs: Any) -> None:
        self.declared.update(kwargs)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


class LocalDbt:
    """The `dbt` argument of a Python model run outside dbt, on a SparkSession.

    `relation_name(name)` maps a ref or source name to the table the engine reads (on Spark
    `<schema>.<name>`); `config` holds what the model's YAML config would (e.g. the JSON
    settings the models read with `dbt.config.get`). `this` is the model's own table;
    `is_incremental` says whether that table exists and the model is incremental, as in dbt.
    """

    def __init__(
        self,
        session: Any,
        relation_name: Callable[[str], str],
        config: Mapping[str, Any] | None = None,
        this: LocalRelation | None = None,
        is_incremental: bool = False,
    ):
        self.session = session
        self._relation_name = relation_name
        self.config = _Config(config or {})
        self.this = this
        self.is_incremental = is_incremental

    def ref(self, name: str, *args: str, **kwargs: Any) -> Any:
        return self.session.table(self._relation_name(name))

    def source(self, source_name: str, table_name: str) -> Any:
        return self.session.table(self._relation_name(table_name))
