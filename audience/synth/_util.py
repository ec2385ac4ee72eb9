"""Vectorised helpers: grouped array arithmetic, id and value formatting with pyarrow."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_HEX = np.array([f"{i:02x}" for i in range(256)], dtype="S2")
_U64 = np.uint64


def group_offsets(counts: np.ndarray) -> np.ndarray:
    """Start position of each group in a flat array laid out group after group."""
    counts = np.asarray(counts, dtype=np.int64)
    return np.cumsum(counts) - counts


def owner_index(counts: np.ndarray) -> np.ndarray:
    """Group number of each element of the flat array (np.repeat of the group ids)."""
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def rank_in_group(counts: np.ndarray) -> np.ndarray:
    """0-based position of each element inside its group."""
    counts = np.asarray(counts, dtype=np.int64)
    return np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(group_offsets(counts), counts)


def grouped_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Inclusive cumulative sum restarted at every group."""
    cs = np.cumsum(values)
    starts = group_offsets(counts)
    before = np.where(starts > 0, cs[np.maximum(starts - 1, 0)], 0)
    return cs - np.repeat(before, counts)


def group_sum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Sum of each (possibly empty) group."""
    out = np.zeros(len(counts), dtype=np.result_type(values, np.int64))
    nonempty = np.asarray(counts) > 0
    if nonempty.any():
        out[nonempty] = np.add.reduceat(values, group_offsets(counts)[nonempty])
    return out


def categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (n, k) probability matrix (rows need not be normalised)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(cum)) * cum[:, -1]
    return np.minimum((u[:, None] >= cum).sum(axis=1), probs.shape[1] - 1)


def choice(rng: np.random.Generator, n: int, probs: Sequence[float]) -> np.ndarray:
    """n draws (integer codes) from one categorical distribution."""
    p = np.asarray(probs, dtype=float)
    return np.searchsorted(np.cumsum(p / p.sum()), rng.random(n), side="right").clip(0, len(p) - 1)


def beta_mean(rng: np.random.Generator, mean: np.ndarray, concentration: float) -> np.ndarray:
    """Beta draws parameterised by mean and concentration."""
    mean = np.clip(mean, 1e-3, 1 - 1e-3)
    return rng.beta(mean * concentration, (1 - mean) * concentration)


def prefixed_ids(prefix: str, numbers: np.ndarray, width: int = 0) -> pa.Array:
    """String ids such as ``O000001234`` from integers, fully vectorised."""
    s = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    if width:
        s = pc.utf8_lpad(s, width=width, padding="0")
    if prefix:
        s = pc.binary_join_element_wise(pa.scalar(prefix), s, "")
    return s


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """Bijective 64-bit mixer: distinct inputs give distinct, random-looking outputs."""
    z = x + _U64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


def hex_ids(numbers: np.ndarray, salt: int) -> pa.Array:
    """16-hex-digit cookie-like ids; unique for unique numbers."""
    x = np.asarray(numbers, dtype=np.uint64) ^ _U64(salt & 0xFFFFFFFFFFFFFFFF)
    b = _splitmix64(x).astype(">u8").view(np.uint8).reshape(-1, 8)
    return pa.array(_HEX[b].view("S16").ravel()).cast(pa.string())


def ts_array(seconds: np.ndarray) -> pa.Array:
    """Epoch seconds as an Arrow timestamp (written as ``YYYY-MM-DD HH:MM:SS``)."""
    return pa.array(np.asarray(seconds, dtype=np.int64)).cast(pa.timestamp("s"))


def ts_text(seconds: np.ndarray) -> pa.Array:
    """Epoch seconds as ISO text ``YYYY-MM-DD HH:MM:SS``."""
    return pc.cast(ts_array(seconds), pa.string())


def date_text(days: np.ndarray) -> pa.Array:
    """Days since epoch as ISO text ``YYYY-MM-DD``."""
    return pc.cast(pa.array(np.asarray(days, dtype=np.int32)).cast(pa.date32()), pa.string())


def cents_to_decimal(cents: np.ndarray) -> pa.Array:
    """Integer cents as an exact decimal(14, 2) Arrow array (written as ``123.45``)."""
    c = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(c), 2), dtype=np.int64)
    words[:, 0] = c
    words[:, 1] = c >> 63  # sign extension of the 128-bit two's complement value
    return pa.Array.from_buffers(pa.decimal128(14, 2), len(c), [None, pa.py_buffer(words)])


def take_text(
    values: Sequence[str | None], codes: np.ndarray, null_mask: np.ndarray | None = None
) -> pa.Array:
    """Look codes up in a small table of strings (vectorised ``take``)."""
    table = pa.array(list(values), type=pa.string())
    idx = pa.array(np.asarray(codes, dtype=np.int32), mask=null_mask)
    return table.take(idx)


def set_where(arr: pa.Array, mask: np.ndarray, values: pa.Array | None = None) -> pa.Array:
    """Replace the elements where mask is true by values (in order), or by nulls."""
    k = int(mask.sum())
    if k == 0:
        return arr
    if values is None:
        values = pa.nulls(k, arr.type)
    return pc.replace_with_mask(arr, pa.array(mask), values.cast(arr.type))
