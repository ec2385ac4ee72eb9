"""Data frames of dbt Python models on every engine dbt runs Python on (docs/engines.md).

`dbt.ref(...)` and `dbt.source(...)` return the engine's own frame: a DuckDB relation on
dbt-duckdb, a PySpark DataFrame on Databricks (and on BigQuery's Dataproc), a Snowpark
DataFrame on Snowflake. The statistics in this package work on pandas, so a model turns the
frame into pandas with `to_pandas`, which reads it through the engine's own converter:

    from audience.dbt_frames import to_pandas

    def model(dbt, session):
        summary = to_pandas(dbt.ref("int_clv_summary"))

Every engine also accepts a pandas DataFrame as the model's result, so nothing else changes.

`LocalDbt` is the `dbt` object of a local run of `model(dbt, session)` with a SparkSession,
which the Spark tests use to prove the Spark code path without a Databricks cluster: what a
Databricks submission does is call `model(dbt, spark)` with `dbt.ref` returning
`spark.table(...)` and write the returned frame as the model's table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd


def to_pandas(frame: Any) -> pd.DataFrame:
    """A pandas DataFrame of `frame`: a DuckDB relation, a PySpark or Snowpark DataFrame, or
    pandas itself. Any other object is refused with its type named (never a guess)."""
    if isinstance(frame, pd.DataFrame):
        return frame
    kind = type(frame).__module__.split(".")[0].lstrip("_")  # duckdb's classes live in _duckdb
    if kind == "duckdb":
        return frame.df()
    if kind == "pyspark":
        return frame.toPandas()
    if kind == "snowflake":  # snowflake.snowpark.DataFrame
        return frame.to_pandas()
    raise TypeError(
        f"to_pandas: a {type(frame).__module__}.{type(frame).__name__} is not a frame of DuckDB, "
        "PySpark or Snowpark"
    )


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
    settings the models read with `dbt.config.get`). `this` is the model's own table, and
    `is_incremental` is false: the models rebuild in full where the engine cannot delete rows.
    """

    def __init__(
        self,
        session: Any,
        relation_name: Callable[[str], str],
        config: Mapping[str, Any] | None = None,
        this: str | None = None,
    ):
        self.session = session
        self._relation_name = relation_name
        self.config = _Config(config or {})
        self.this = this
        self.is_incremental = False

    def ref(self, name: str, *args: str, **kwargs: Any) -> Any:
        return self.session.table(self._relation_name(name))

    def source(self, source_name: str, table_name: str) -> Any:
        return self.session.table(self._relation_name(table_name))
