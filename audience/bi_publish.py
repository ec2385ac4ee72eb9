"""Atomic publishing of the BI file (README, "Connect a BI tool").

DuckDB lets one process write a database file, and while `dbt build` writes
`warehouse/audience.duckdb` no other process can open it, not even read-only. So BI tools read a
second file, `warehouse/audience_bi.duckdb`, which the on-run-end hook `publish_bi`
(macros/bi/publish_bi.sql) rewrites only after a build without errors or failed tests: it copies
the BI-facing marts into a new file under a temporary name, then swaps it in with `os.replace`, an
atomic rename. A reader opening the path gets either the previous complete publish or the new
one, never a half-written file, and a reader that is already connected keeps reading the file it
opened (POSIX semantics) until it reconnects.

DuckDB SQL cannot rename files, so this module registers two small SQL functions on dbt-duckdb's
connections through the profile's `plugins:` (see profiles.yml):

- `audience_replace_file(src, dst)`: fsync `src`, rename it over `dst`, fsync the folder;
- `audience_remove_file(path)`: remove a leftover temporary file, if any.
"""

from __future__ import annotations

import os
from pathlib import Path

try:  # the plugin base class only exists where dbt-duckdb is installed
    from dbt.adapters.duckdb.plugins import BasePlugin
except ImportError:  # pragma: no cover - dbt-duckdb is a dependency of the package
    BasePlugin = object  # type: ignore[assignment,misc]

REPLACE_FUNCTION = "audience_replace_file"
REMOVE_FUNCTION = "audience_remove_file"


def default_bi_path(db_path: str | Path) -> Path:
    """Where the BI file of the warehouse `db_path` is: $AUDIENCE_BI_PATH, else `<stem>_bi.duckdb`
    beside it (the rule of the macro `bi_path()`; a var `bi_path` given to dbt is not seen here)."""
    explicit = os.environ.get("AUDIENCE_BI_PATH")
    if explicit:
        return Path(explicit)
    db = str(db_path)
    return Path(db[: -len(".duckdb")] + "_bi.duckdb" if db.endswith(".duckdb") else db + "_bi.duckdb")


def replace_file(src: str, dst: str) -> str:
    """Atomically move the finished file `src` over `dst` and return `dst`.

    `src` must be a closed DuckDB file without a write-ahead log beside it: a `.wal` left next to
    the temporary name would not follow the rename and the published file would miss its last
    writes, so that is an error rather than a silent loss.
    """
    src_path, dst_path = Path(src), Path(dst)
    if not src_path.is_file():
        raise FileNotFoundError(f"BI publish: the new file {src} does not exist")
    wal = Path(f"{src}.wal")
    if wal.exists():
        raise RuntimeError(f"BI publish: {wal} still exists; the new file was not checkpointed")
    if src_path.resolve().parent != dst_path.resolve().parent:
        raise ValueError(f"BI publish: {src} and {dst} must be in the same folder for an atomic rename")
    with open(src_path, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(src_path, dst_path)
    _fsync_dir(dst_path.resolve().parent)
    return str(dst_path)


def remove_file(path: str) -> bool:
    """Remove `path` (and its `.wal`) if present; True when something was removed."""
    removed = False
    for candidate in (Path(path), Path(f"{path}.wal")):
        if candidate.is_file():
            candidate.unlink()
            removed = True
    return removed


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open folders; the rename itself is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class Plugin(BasePlugin):  # type: ignore[misc,valid-type]
    """dbt-duckdb plugin: registers the two file functions on every connection dbt opens."""

    def configure_connection(self, conn) -> None:  # conn: duckdb.DuckDBPyConnection
        register_functions(conn)


def register_functions(conn) -> None:
    """Register `audience_replace_file` and `audience_remove_file` on a DuckDB connection."""
    from audience.sql_functions import BOOLEAN, VARCHAR, register

    register(
        conn,
        [
            (REPLACE_FUNCTION, replace_file, [VARCHAR, VARCHAR], VARCHAR),
            (REMOVE_FUNCTION, remove_file, [VARCHAR], BOOLEAN),
        ],
    )
