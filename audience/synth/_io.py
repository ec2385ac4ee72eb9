"""Streaming writers: one CSV or Parquet file per source, written from a background thread."""

from __future__ import annotations

import queue
import threading
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

# Free-text sources are quoted as needed; machine logs are written without quotes.
QUOTED = {"customers", "survey_responses"}


def as_text(table: pa.Table) -> pa.Table:
    """Every column as text, exactly as the CSV writer renders it (Parquet output keeps CSV semantics)."""
    cols = []
    for col in table.columns:
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        if not pa.types.is_string(col.type):
            col = pc.cast(col, pa.string())
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def write_csv(table: pa.Table, path: Path, stem: str) -> None:
    """Write one complete CSV file."""
    style = "needed" if stem in QUOTED else "none"
    pcsv.write_csv(table, path, write_options=pcsv.WriteOptions(quoting_style=style))


class Sink:
    """Append tables to ``<out>/<stem>.<fmt>``; writing overlaps generation (Arrow releases the GIL)."""

    def __init__(self, out: Path, fmt: str) -> None:
        self.out, self.fmt = out, fmt
        self.rows: dict[str, int] = defaultdict(int)
        self._writers: dict[str, pcsv.CSVWriter | pq.ParquetWriter] = {}
        self._schemas: dict[str, pa.Schema] = {}
        self._queue: queue.Queue[tuple[str, pa.Table] | None] = queue.Queue(maxsize=3)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="synth-writer", daemon=True)
        self._thread.start()

    def write(self, stem: str, table: pa.Table) -> int:
        """Queue a table; returns the number of data rows of the file before it."""
        if self._error is not None:
            raise RuntimeError("writer thread failed") from self._error
        offset = self.rows[stem]
        self.rows[stem] += table.num_rows
        self._queue.put((stem, table))
        return offset

    def close(self) -> dict[str, int]:
        """Flush and close all files; returns rows per stem."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise RuntimeError("writer thread failed") from self._error
        return dict(self.rows)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                break
            if self._error is not None:
                continue  # keep draining so the producer never blocks
            try:
                self._write(*item)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
                self._error = exc
        for w in self._writers.values():
            try:
                w.close()
            except BaseException as exc:  # noqa: BLE001
                self._error = self._error or exc

    def _write(self, stem: str, table: pa.Table) -> None:
        if self.fmt == "parquet":
            table = as_text(table)
        if stem not in self._writers:
            self._schemas[stem] = table.schema
            path = self.out / f"{stem}.{self.fmt}"
            if self.fmt == "parquet":
                self._writers[stem] = pq.ParquetWriter(path, table.schema, compression="zstd")
            else:
                style = "needed" if stem in QUOTED else "none"
                self._writers[stem] = pcsv.CSVWriter(
                    path, table.schema, write_options=pcsv.WriteOptions(quoting_style=style)
                )
        elif table.schema != self._schemas[stem]:
            table = table.cast(self._schemas[stem])
        self._writers[stem].write_table(table)
