"""File checks of the landing hook (macros/raw/land_raw_files.sql, docs/data_contract.md).

DuckDB SQL can list and read files but cannot tell a truncated gzip from a short one, hash a
file, tell a broken link from a missing file, or decode Windows-1252. This module does those
checks in Python and registers them as SQL functions on dbt-duckdb's connections through the
profile's `plugins:` (see profiles.yml), so the hook calls them with `run_query`:

- `audience_scan_raw_files(folder, stem)`: JSON with the files of one source (path, size,
  modification time, SHA-256 of the bytes) and the problems that stop the build (broken link,
  unreadable file, not a regular file, two files with one name in different formats);
- `audience_prepare_raw_file(path)`: JSON telling how to read one file (the path DuckDB reads,
  the delimiter of an Excel `sep=` line and the lines to skip, the encoding found) or the
  problem that stops the build (a corrupt or truncated gzip or Parquet file, an undecodable
  encoding). A file that is not UTF-8 is transcoded into a temporary UTF-8 copy;
- `audience_release_raw_file(path)`: removes such a temporary copy once landed.

The functions return problems as text instead of raising, so the hook stops the build with a
message naming the file and never with a Python traceback.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import json
import os
import re
import shutil
import tempfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

try:  # the plugin base class only exists where dbt-duckdb is installed
    from dbt.adapters.duckdb.plugins import BasePlugin
except ImportError:  # pragma: no cover - dbt-duckdb is a dependency of the package
    BasePlugin = object  # type: ignore[assignment,misc]

SCAN_FUNCTION = "audience_scan_raw_files"
PREPARE_FUNCTION = "audience_prepare_raw_file"
RELEASE_FUNCTION = "audience_release_raw_file"

# the formats of a source's files, longest suffix first (`x.csv.gz` is not `x.gz`)
FORMATS = (".csv.gz", ".csv", ".parquet")
CHUNK = 1 << 20
TEMP_PREFIX = "audience_landing_"
# bytes Windows-1252 leaves undefined: a file holding one is read as Latin-1 instead
CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
VALID_NON_ASCII = re.compile("[^\x00-\x7f\ufffd\ufeff]")
SEP_LINE = re.compile(r'^"?sep=(.)"?[ \t]*\r?\n?$', re.IGNORECASE)


def _format_of(name: str) -> str | None:
    lower = name.lower()
    for suffix in FORMATS:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return suffix
    return None


def natural_key(path: str) -> list:
    """Sort key that orders digit runs by value: `batch_9` before `batch_10`."""
    return [(0, int(part), part) if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", path)]


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _candidates(folder: str, stem: str) -> list[str]:
    """Paths of the source's files (`<folder>/<stem>.<fmt>` and `<folder>/<stem>/*.<fmt>`),
    spelled as `<folder>/<name>` the way the ledger records them."""
    found: list[str] = []
    try:
        names = os.listdir(folder)
    except OSError:
        names = []
    for name in names:
        fmt = _format_of(name)
        if fmt and name[: -len(fmt)] == stem:
            found.append(f"{folder}/{name}")
    batch_folder = f"{folder}/{stem}"
    if os.path.isdir(batch_folder):
        try:
            batch_names = os.listdir(batch_folder)
        except OSError as exc:
            raise _Problem(f"the batch folder {batch_folder} cannot be listed ({exc.strerror})") from exc
        found.extend(f"{batch_folder}/{name}" for name in batch_names if _format_of(name))
    return found


class _Problem(Exception):
    pass


def scan_source(folder: str, stem: str) -> dict:
    """The files of one source, in natural order, and the problems that must stop the build."""
    problems: list[str] = []
    files: list[dict] = []
    try:
        paths = _candidates(folder, stem)
    except _Problem as exc:
        return {"files": [], "problems": [str(exc)]}

    # one name, several formats: which one holds the data is ambiguous
    by_name: dict[str, list[str]] = {}
    for path in paths:
        by_name.setdefault(path[: -len(_format_of(path) or "")], []).append(path)
    for name, group in sorted(by_name.items()):
        if len(group) > 1:
            problems.append(
                f"the files {' and '.join(sorted(group))} hold the same data set ({Path(name).name})"
                " in different formats or compressions; keep exactly one of them"
            )

    for path in sorted(paths, key=natural_key):
        if os.path.islink(path) and not os.path.exists(path):
            target = os.readlink(path)
            problems.append(f"{path} is a broken symbolic link (its target {target} does not exist)")
            continue
        if not os.path.isfile(path):
            problems.append(f"{path} is not a regular file")
            continue
        try:
            stat = os.stat(path)
            checksum = _sha256(path)
        except OSError as exc:
            problems.append(f"{path} cannot be read ({exc.strerror or exc})")
            continue
        modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        files.append({"path": path, "size": stat.st_size, "modified_at": modified, "checksum": checksum})
    return {"files": files, "problems": problems}


def _open_bytes(path: str):
    return gzip.open(path, "rb") if path.lower().endswith(".gz") else open(path, "rb")


def _detect_encoding(path: str) -> str:
    """Read the whole (decompressed) file once and return its encoding.

    UTF-8 (with or without BOM) and UTF-16 (BOM, or the NUL pattern of ASCII text in UTF-16)
    are taken as they are. A file that is not valid UTF-8 and holds no valid multi-byte UTF-8
    sequence is a single-byte legacy file: Windows-1252 (Excel's "CSV" on Windows), or Latin-1
    when it holds a byte Windows-1252 leaves undefined. A file that mixes valid UTF-8 with
    invalid bytes stays UTF-8: its invalid lines are rejected by the reader, one by one.
    """
    with _open_bytes(path) as fh:
        head = fh.read(4096)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            fh.read()  # reads to the end: a truncated gzip raises here
            return "utf-16"
        if head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        elif len(head) >= 4 and head.count(0) * 3 >= len(head):
            fh.read()
            even, odd = head[0::2].count(0), head[1::2].count(0)
            return "utf-16-le" if odd > even else "utf-16-be"
        else:
            encoding = "utf-8"
        # U+FFFD marks an invalid byte; any other non-ASCII character is valid multi-byte UTF-8
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        invalid = False
        multibyte = False
        undefined_1252 = False
        block = head
        while block:
            text = decoder.decode(block)
            if not text.isascii():
                invalid = invalid or "\ufffd" in text
                multibyte = multibyte or VALID_NON_ASCII.search(text) is not None
            if not undefined_1252 and not block.isascii():
                undefined_1252 = any(b in CP1252_UNDEFINED for b in block)
            block = fh.read(CHUNK)
        invalid = invalid or "\ufffd" in decoder.decode(b"", final=True)
    if not invalid or multibyte:
        return encoding
    return "latin-1" if undefined_1252 else "cp1252"


def _first_line(path: str, encoding: str) -> str:
    with _open_bytes(path) as fh:
        raw = fh.read(4096)
    text = raw.decode(encoding, errors="replace").lstrip("\ufeff")
    return text.split("\n", 1)[0]


def prepare_file(path: str) -> dict:
    """How the hook reads `path`: {read_path, encoding, delimiter, skip, problem}."""
    result = {"read_path": path, "encoding": "utf-8", "delimiter": None, "skip": 0, "problem": None}
    lower = path.lower()
    try:
        if lower.endswith(".parquet"):
            size = os.path.getsize(path)
            with open(path, "rb") as fh:
                start = fh.read(4)
                fh.seek(max(size - 4, 0))
                end = fh.read(4)
            if size < 12 or start != b"PAR1" or end != b"PAR1":
                result["problem"] = "is not a complete Parquet file (truncated or corrupt: no PAR1 footer)"
            result["encoding"] = None
            return result
        encoding = _detect_encoding(path)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        result["problem"] = f"is a corrupt or truncated gzip file ({exc}); none of its rows were landed"
        return result
    except OSError as exc:
        result["problem"] = f"cannot be read ({exc.strerror or exc})"
        return result
    result["encoding"] = encoding
    sep = SEP_LINE.match(_first_line(path, encoding))
    if sep:
        result["delimiter"] = sep.group(1)
        result["skip"] = 1
    if encoding not in ("utf-8", "utf-8-sig"):
        result["read_path"] = _transcode(path, encoding, drop_first_line=bool(sep))
        result["skip"] = 0
    return result


def _transcode(path: str, encoding: str, drop_first_line: bool) -> str:
    """A UTF-8 copy of `path` in a new temporary folder (without its `sep=` line, if asked)."""
    folder = tempfile.mkdtemp(prefix=TEMP_PREFIX)
    name = Path(path).name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    target = os.path.join(folder, name if name.lower().endswith(".csv") else name + ".csv")
    with _open_bytes(path) as src, open(target, "w", encoding="utf-8", newline="") as dst:
        reader = codecs.getreader(encoding)(src, errors="strict")
        if drop_first_line:
            reader.readline()
        first = True
        while True:
            text = reader.read(CHUNK)
            if not text:
                break
            if first:
                text = text.lstrip("\ufeff")
                first = False
            dst.write(text)
    return target


def release_file(path: str) -> bool:
    """Remove a temporary copy made by prepare_file (and its folder); anything else is kept."""
    folder = Path(path).parent
    if not folder.name.startswith(TEMP_PREFIX) or Path(tempfile.gettempdir()) != folder.parent:
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return True


def scan_json(folder: str, stem: str) -> str:
    try:
        return json.dumps(scan_source(folder, stem))
    except Exception as exc:  # noqa: BLE001 - reported by the hook with the folder's name
        return json.dumps({"files": [], "problems": [f"{folder}/{stem}: {type(exc).__name__}: {exc}"]})


def prepare_json(path: str) -> str:
    try:
        return json.dumps(prepare_file(path))
    except Exception as exc:  # noqa: BLE001 - reported by the hook with the file's name
        return json.dumps({"read_path": path, "problem": f"cannot be read ({type(exc).__name__}: {exc})"})


class Plugin(BasePlugin):  # type: ignore[misc,valid-type]
    """dbt-duckdb plugin: registers the landing's file functions on every connection dbt opens."""

    def configure_connection(self, conn) -> None:  # conn: duckdb.DuckDBPyConnection
        register_functions(conn)


def register_functions(conn) -> None:
    """Register the three landing functions on a DuckDB connection."""
    from audience.sql_functions import BOOLEAN, VARCHAR, register

    register(
        conn,
        [
            (SCAN_FUNCTION, scan_json, [VARCHAR, VARCHAR], VARCHAR),
            (PREPARE_FUNCTION, prepare_json, [VARCHAR], VARCHAR),
            (RELEASE_FUNCTION, release_file, [VARCHAR], BOOLEAN),
        ],
    )
