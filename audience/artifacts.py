"""Model artifacts in one long table, so a single dbt Python model can feed several SQL models.

A dbt Python model returns one DataFrame. A fit, though, yields several small tables (transform
parameters, centroids, the k scan, the hierarchy, validation figures, run metadata). They are
stacked here into one long frame with a fixed set of nullable columns; SQL models then select
their part by ``artifact``. The schema is the same for every fitted model (clustering, CLV,
churn), so `model_runs` can read them all the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

ARTIFACT_COLUMNS: dict[str, str] = {
    "model_name": "str",
    "model_version": "str",
    "artifact": "str",
    "k": "Int64",
    "cluster_id": "Int64",
    "level": "Int64",
    "parent_id": "Int64",
    "feature": "str",
    "position": "Int64",
    "metric": "str",
    "value": "float64",
    "threshold": "float64",
    "text_value": "str",
}


def artifact_frame(model_name: str, model_version: str, artifact: str, rows: pd.DataFrame) -> pd.DataFrame:
    """Conform `rows` to the artifact schema: add missing columns as nulls, drop unknown ones."""
    out = pd.DataFrame(index=range(len(rows)))
    for col, dtype in ARTIFACT_COLUMNS.items():
        if col in rows.columns:
            out[col] = rows[col].to_numpy()
        else:
            out[col] = None
        out[col] = out[col].astype(dtype) if dtype != "str" else out[col].astype("object")
    out["model_name"] = model_name
    out["model_version"] = model_version
    out["artifact"] = artifact
    return out


def long_metrics(frame: pd.DataFrame, id_columns: list[str], metrics: list[str]) -> pd.DataFrame:
    """Melt wide metric columns into (id columns..., metric, value) rows."""
    melted = frame.melt(id_vars=id_columns, value_vars=metrics, var_name="metric", value_name="value")
    melted["value"] = pd.to_numeric(melted["value"], errors="coerce").astype("float64")
    return melted


def run_record(parameters: Mapping[str, Any], metrics: Mapping[str, Any]) -> pd.DataFrame:
    """One `run` artifact row: parameters and headline metrics as JSON text."""
    return pd.DataFrame(
        {
            "metric": ["parameters", "metrics"],
            "text_value": [_to_json(parameters), _to_json(metrics)],
        }
    )


def model_version(model_name: str, *parts: Any) -> str:
    """A short deterministic version id: the model name and a hash of what defines the fit.

    Floats are rounded to 9 significant digits first, so noise in the last bits (a parallel
    sum, a BLAS kernel) does not make the same fit look like a new version.
    """
    digest = hashlib.sha1(_to_json(_rounded(list(parts))).encode()).hexdigest()[:12]
    return f"{model_name}-{digest}"


def _rounded(obj: Any) -> Any:
    if isinstance(obj, pd.DataFrame):
        return [_rounded(row) for row in obj.to_dict(orient="records")]
    if isinstance(obj, dict):
        return {str(k): _rounded(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_rounded(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_rounded(v) for v in obj.tolist()]
    if isinstance(obj, float | np.floating):
        value = float(obj)
        return float(f"{value:.9g}") if np.isfinite(value) else str(value)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _to_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, default=_json_default)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, pd.DataFrame):
        return obj.to_dict(orient="records")
    return str(obj)
