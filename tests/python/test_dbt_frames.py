"""audience.dbt_frames on DuckDB: the helpers a Python model reads refs and its own previous
table with (the Spark side runs under `make test-spark`, tests/python/test_spark_python_models.py)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from audience.dbt_frames import LocalRelation, previous_table, read_table, table_exists, to_pandas


class DuckRelation:
    """What dbt-duckdb passes as `dbt.this`: database, schema, identifier, rendered quoted."""

    def __init__(self, database: str, schema: str, identifier: str):
        self.database, self.schema, self.identifier = database, schema, identifier

    def __repr__(self) -> str:
        return f'"{self.database}"."{self.schema}"."{self.identifier}"'


@pytest.fixture
def con():
    con = duckdb.connect(":memory:")
    con.execute("create schema main_marts")
    con.execute("create table main_marts.personas as select 3 as cluster_id, 'Loyal' as persona_name")
    yield con
    con.close()


def test_previous_table_reads_an_existing_table(con):
    this = DuckRelation("memory", "main_marts", "personas")
    assert table_exists(con, this)
    got = previous_table(con, this)
    assert got.to_dict("records") == [{"cluster_id": 3, "persona_name": "Loyal"}]
    assert read_table(con, this).equals(got)


def test_previous_table_is_none_before_the_first_build(con):
    assert previous_table(con, DuckRelation("memory", "main_marts", "missing")) is None
    # same name in another schema is not the model's table
    assert previous_table(con, DuckRelation("memory", "main", "personas")) is None


def test_to_pandas_reads_a_duckdb_relation_and_refuses_anything_else(con):
    assert to_pandas(con.sql("select 1 as a")).to_dict("records") == [{"a": 1}]
    frame = pd.DataFrame({"a": [1]})
    assert to_pandas(frame) is frame
    with pytest.raises(TypeError, match="builtins.list"):
        to_pandas([1])
    with pytest.raises(TypeError, match="is not a session"):
        table_exists(object(), LocalRelation("s", "t"))


def test_local_relation_names_a_spark_table():
    this = LocalRelation("audience", "cluster_fit")
    assert (str(this), this.database, this.schema, this.identifier) == (
        "audience.cluster_fit", None, "audience", "cluster_fit")
