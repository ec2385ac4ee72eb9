"""The churn job behind the dbt Python models `churn_fit` and `customer_churn_scores`.

SQL (`int_churn_examples`) supplies the same per-person features as of three dates: two
labelled cutoffs for time-split validation (train: as_of - 2H, valid: as_of - H, label = no
purchase in the H days after the cutoff) and the as-of date itself (to score). This module
splits them, leaves out the features without information in the labelled rows
(:mod:`audience.churn_features`) and calls :func:`audience.churn.churn_pipeline`.

The model counts as fitted when the scores come from a model learned on this data (logistic
regression, gradient boosting or the recency baseline). When the data cannot support any of
them (no labelled rows, e.g. all orders on one day; one class only; too few rows) the
pipeline's last resort is the base rate, one number for everybody: the job then publishes no
score rows and says in the `status` artifact why the model was not fitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import pandas as pd

from audience import artifacts, churn, churn_features, memo

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


def informative_features(
    train: pd.DataFrame, valid: pd.DataFrame, features: list[str]
) -> tuple[list[str], list[churn_features.Exclusion]]:
    """The features that carry information in the labelled rows, and the ones left out (why)."""
    labelled = pd.concat([train, valid], ignore_index=True)
    if "churned" in labelled.columns:
        labelled = labelled[labelled["churned"].notna()]
    excluded = churn_features.uninformative(labelled, features)
    dropped = {e.feature for e in excluded}
    return [f for f in features if f not in dropped], excluded


def fit_status(diagnostics: dict) -> tuple[bool, str]:
    """(fitted, reason a person can read) from the pipeline's diagnostics."""
    method = diagnostics.get("method")
    final = diagnostics.get("final", {})
    if method in churn.LEARNED_MODELS or method == churn.RECENCY_BASELINE:
        return True, f"fitted: {method} on {final.get('n_fit', 0)} labelled rows"
    why = final.get("fallback_reason") or ", ".join(diagnostics.get("flags", [])) or "no model"
    if not final.get("n_fit"):
        why = (
            "no labelled rows: nobody had bought before the training and validation cutoffs "
            f"(as-of date minus 2 and 1 churn horizons); {why}"
        )
    return False, f"not fitted: {why}"


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
    features, excluded = informative_features(train, valid, _features(examples, config))
    scores, metrics, diagnostics = churn.churn_pipeline(
        train,
        valid,
        current,
        features,
        seed=config.seed,
        settings=settings,
        explain=EXPLAIN_TOP_FEATURES,
    )
    diagnostics["uninformative_features"] = excluded
    diagnostics["fitted"], diagnostics["fit_status"] = fit_status(diagnostics)
    if not diagnostics["fitted"]:
        scores = scores.iloc[0:0]
    return scores, metrics, diagnostics


def score_customers(examples: pd.DataFrame, config: ChurnConfig) -> pd.DataFrame:
    """person_id, churn_probability, churn_model and churn_top_features for every current
    customer; no rows when the model was not fitted (see the module docstring)."""
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
    excluded = diagnostics["uninformative_features"]
    headline = {
        "fit_status": diagnostics["fit_status"],
        "uninformative_features": {e.feature: e.detail for e in excluded},
        "selected_model": diagnostics.get("selected_model"),
        "method": diagnostics.get("method"),
        "fallback": diagnostics.get("fallback"),
        "flags": diagnostics.get("flags"),
        "validation": metrics.to_dict(orient="records"),
    }
    run_rows = artifacts.run_record(asdict(config), headline)

    def frame(name: str, rows: pd.DataFrame) -> pd.DataFrame:
        return artifacts.artifact_frame(MODEL_NAME, version, name, rows)

    status = pd.DataFrame(
        [{"metric": "fitted", "value": float(diagnostics["fitted"]), "text_value": diagnostics["fit_status"]}]
    )
    exclusions = pd.DataFrame(
        [{"feature": e.feature, "metric": e.reason, "text_value": e.detail} for e in excluded],
        columns=["feature", "metric", "text_value"],
    )
    parts = [
        frame("validation", pd.concat([long, selected])),
        frame("status", status),
        frame("uninformative_feature", exclusions),
        frame("run", run_rows),
    ]
    return pd.concat([p for p in parts if len(p)], ignore_index=True)
