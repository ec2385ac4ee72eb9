"""The churn job behind the dbt Python models `churn_fit` and `customer_churn_scores`.

SQL (`int_churn_examples`) supplies the same per-person features as of three dates: two
labelled cutoffs for time-split validation (train: as_of - 2H, valid: as_of - H, label = no
purchase in the H days after the cutoff) and the as-of date itself (to score).

- `churn_fit` (:func:`fit_churn_artifacts`) leaves out the features without information in the
  labelled rows (:mod:`audience.churn_features`), compares the models on the time split
  (:func:`audience.churn.compare_with_diagnostics`) and stores the comparison, the selected
  model, the features left out and whether a model could be fitted.
- `customer_churn_scores` (:func:`score_from_fit`) reads that, refits the selected model on both
  labelled cutoffs and scores the current buyers (:func:`audience.churn.fit_final_and_score`).

The model counts as fitted when the selected model was learned on this data (logistic
regression, gradient boosting or the recency baseline). When the data cannot support any of
them (no labelled rows, e.g. all orders on one day; one class only; too few rows) the last
resort would be the base rate, one number for everybody: the job then publishes no score rows
and says in the `status` artifact why the model was not fitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import pandas as pd

from audience import artifacts, churn, churn_features

MODEL_NAME = "churn_classifier"
#: How many features `customer_churn_scores.churn_top_features` names per person.
EXPLAIN_TOP_FEATURES = 3
FITTED_MODELS = (*churn.LEARNED_MODELS, churn.RECENCY_BASELINE)
SCORE_COLUMNS = ("churn_probability", "churn_model", "churn_top_features")


@dataclass(frozen=True)
class ChurnConfig:
    """Settings from the dbt vars `churn_*`."""

    horizon_days: int = 90
    seed: int = 0
    max_train_rows: int = 200_000
    features: Sequence[str] = field(default_factory=tuple)

    @property
    def settings(self) -> churn.ChurnSettings:
        return churn.ChurnSettings(max_train_rows=self.max_train_rows)


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
    """(fitted, reason a person can read) from :func:`churn.compare_with_diagnostics`."""
    selected = diagnostics.get("selected_model")
    if selected in FITTED_MODELS:
        return True, (
            f"fitted: {selected} on {diagnostics.get('n_train_fit', 0)} labelled training rows, "
            f"validated on {diagnostics.get('n_valid', 0)}"
        )
    statuses = diagnostics.get("model_status", {})
    why = "; ".join(f"{name} {status}" for name, status in statuses.items()) or "no model"
    if not diagnostics.get("n_train_labelled"):
        why = (
            "no labelled rows: nobody had bought before the training cutoff "
            f"(as-of date minus 2 churn horizons); {why}"
        )
    return False, f"not fitted: {why}"


def compare(examples: pd.DataFrame, config: ChurnConfig) -> tuple[pd.DataFrame, dict]:
    """Compare the models on the time split, on the informative features only.

    Returns (metrics per model, diagnostics): the diagnostics of
    :func:`churn.compare_with_diagnostics` plus `uninformative_features` (the features left
    out, with why), `fitted` and `fit_status`.
    """
    train, valid, _ = _split(examples)
    features, excluded = informative_features(train, valid, _features(examples, config))
    metrics, _, diagnostics = churn.compare_with_diagnostics(
        train, valid, features, seed=config.seed, settings=config.settings
    )
    diagnostics["uninformative_features"] = excluded
    diagnostics["fitted"], diagnostics["fit_status"] = fit_status(diagnostics)
    return metrics, diagnostics


def fit_churn_artifacts(examples: pd.DataFrame, config: ChurnConfig) -> pd.DataFrame:
    """Validation metrics of every compared model, the fit status, the features left out and
    the run record, as one artifact frame (the `churn_fit` table)."""
    metrics, diagnostics = compare(examples, config)
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
        "model_status": diagnostics.get("model_status"),
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


def score_from_fit(examples: pd.DataFrame, fit: pd.DataFrame, config: ChurnConfig) -> pd.DataFrame:
    """person_id, churn_probability, churn_model and churn_top_features for every current
    customer, from the model `churn_fit` selected (rows of :func:`fit_churn_artifacts`),
    refitted on both labelled cutoffs with the features `churn_fit` kept. No rows when
    `churn_fit` found no model to fit, or the refit could only give the base rate."""
    train, valid, current = _split(examples)
    # typed columns: an empty object column would reach DuckDB as INTEGER
    empty = pd.DataFrame(
        {
            "person_id": pd.Series(dtype="string"),
            "churn_probability": pd.Series(dtype="float64"),
            "churn_model": pd.Series(dtype="string"),
            "churn_top_features": pd.Series(dtype="string"),
        }
    )
    status = fit[(fit["artifact"] == "status") & (fit["metric"] == "fitted")]
    if status.empty or status["value"].iloc[0] != 1.0:
        return empty
    validation = fit[fit["artifact"] == "validation"]
    chosen = validation[(validation["metric"] == "is_selected") & (validation["value"] == 1.0)]
    excluded = set(fit.loc[fit["artifact"] == "uninformative_feature", "feature"])
    features = [f for f in _features(examples, config) if f not in excluded]
    scores, diagnostics = churn.fit_final_and_score(
        train,
        valid,
        current,
        features,
        str(chosen["feature"].iloc[0]),
        seed=config.seed,
        settings=config.settings,
        explain=EXPLAIN_TOP_FEATURES,
    )
    if diagnostics["method"] not in FITTED_MODELS:
        return empty
    return scores[["person_id", *SCORE_COLUMNS]]
