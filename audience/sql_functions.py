"""Python functions registered as DuckDB SQL functions, for what SQL cannot do with files.

The dbt-duckdb plugins of the profile (`audience.bi_publish`, `audience.raw_files`) call
`register` on every connection dbt opens; a function already registered on it is left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

try:
    from duckdb.sqltypes import BOOLEAN, VARCHAR
except ImportError:  # duckdb < 1.5
    from duckdb.typing import BOOLEAN, VARCHAR

__all__ = ["BOOLEAN", "VARCHAR", "register"]

# (SQL name, Python function, argument types, return type)
FunctionSpec = tuple[str, Callable, Sequence, object]


def register(conn, specs: Sequence[FunctionSpec]) -> None:
    """Register each function of `specs` on the DuckDB connection unless it is there already.

    Every function touches files, so each is registered with side effects (never folded as a
    constant or evaluated once for equal arguments).
    """
    names = [spec[0] for spec in specs]
    placeholders = ", ".join("?" for _ in names)
    present = {
        row[0]
        for row in conn.execute(
            f"select function_name from duckdb_functions() where function_name in ({placeholders})",
            names,
        ).fetchall()
    }
    for name, function, arguments, returns in specs:
        if name not in present:
            conn.create_function(name, function, list(arguments), returns, side_effects=True)
