"""The churn job behind the dbt Python models `churn_fit` and `customer_churn_scores`.

SQL (`int_churn_examples`) supplies the same per-person features as of three dates: two
labelled cutoffs for time-split validation (train: as_of - 2H, valid: as_of - H, label = no
purchase in the H days after the cutoff) and the as-of date itself (to score). This module
splits them and calls :func:`audience.churn.churn_pipeline`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import pandas as pd

from audience import artifacts, churn, memo

MODEL_NAME = "churn_classifier"
#: How many features `customer_churn_scores.churn_top_features` names per person.
EXPLAIN_TOP_FEATURES = 3


@dataclass(frozen=True)
class ChurnConfig:
    """Settings from the dbt vars `churn_*`."""

    horizon_days: int = 90
    seed: int = 0
    max_train_rows: int = 200_000
    features: Sequence[str] = field(default_factory=tuple)


def _split(examples: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    examples = examples.sort_values(["sample_set", "person_id"]).reset_index(drop=True)
    parts = {name: frame.drop(columns=["sample_set"]) for name, frame in examples.groupby("sample_set")}
    empty = examples.iloc[0:0].drop(columns=["sample_set"])
    return parts.get("train", empty), parts.get("valid", empty), parts.get("current", empty)


def _features(examples: pd.DataFrame, config: ChurnConfig) -> list[str]:
    if config.features:
        return [f for f in config.features if f in examples.columns]
    skip = {"person_id", "sample_set", "churned", "cutoff_date"}
    return [c for c in examples.columns if c not in skip]


_last_run = memo.LastResult()


def run(examples: pd.DataFrame, config: ChurnConfig) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Compare models on the time split, refit the selected one and score current customers.

    `churn_fit` and `customer_churn_scores` both need this result from the same input within one
    dbt process (issue 7): it is computed once and reused (see :mod:`audience.memo`).
    """
    return _last_run.get(examples, config, _run)


def _run(examples: pd.DataFrame, config: ChurnConfig) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    train, valid, current = _split(examples)
    settings = churn.ChurnSettings(max_train_rows=config.max_train_rows)
    return churn.churn_pipeline(
        train,
        valid,
        current,
        _features(examples, config),
        seed=config.seed,
        settings=settings,
        explain=EXPLAIN_TOP_FEATURES,
    )


def score_customers(examples: pd.DataFrame, config: ChurnConfig) -> pd.DataFrame:
    """person_id, churn_probability, churn_model and churn_top_features for every current customer."""
    scores, _, _ = run(examples, config)
    return scores


def fit_churn_artifacts(examples: pd.DataFrame, config: ChurnConfig) -> pd.DataFrame:
    """Validation metrics of every compared model and the run record, as one artifact frame."""
    _, metrics, diagnostics = run(examples, config)
    version = artifacts.model_version(MODEL_NAME, asdict(config), metrics)
    metric_cols = [c for c in metrics.columns if c not in ("model", "is_selected")]
    long = artifacts.long_metrics(metrics.rename(columns={"model": "feature"}), ["feature"], metric_cols)
    selected = pd.DataFrame(
        {"feature": metrics["model"], "metric": "is_selected", "value": metrics["is_selected"].astype(float)}
    )
    headline = {
        "selected_model": diagnostics.get("selected_model"),
        "method": diagnostics.get("method"),
        "fallback": diagnostics.get("fallback"),
        "flags": diagnostics.get("flags"),
        "validation": metrics.to_dict(orient="records"),
    }
    run_rows = artifacts.run_record(asdict(config), headline)

    def frame(name: str, rows: pd.DataFrame) -> pd.DataFrame:
        return artifacts.artifact_frame(MODEL_NAME, version, name, rows)

    return pd.concat(
        [frame("validation", pd.concat([long, selected])), frame("run", run_rows)], ignore_index=True
    )
