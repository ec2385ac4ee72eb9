"""Churn model names, default features, output columns and the tunable settings."""

from __future__ import annotations

from dataclasses import dataclass

LOGISTIC = "logistic"
HGB = "hist_gradient_boosting"
RECENCY_BASELINE = "recency_baseline"
BASE_RATE = "base_rate"
LEARNED_MODELS: tuple[str, ...] = (LOGISTIC, HGB)
MODEL_NAMES: tuple[str, ...] = (LOGISTIC, HGB, RECENCY_BASELINE, BASE_RATE)

#: Features used when the caller passes ``features=None`` (those present in the frames).
DEFAULT_FEATURES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "sessions_30d",
    "sessions_90d",
    "days_since_last_visit",
    "email_open_rate",
    "email_click_rate",
    "cart_abandonments_90d",
    "discount_share",
)

METRIC_COLUMNS: tuple[str, ...] = (
    "model",
    "auc",
    "pr_auc",
    "brier",
    "top_decile_lift",
    "n_train",
    "n_valid",
    "base_rate",
    "is_selected",
    "status",
)

SCORE_COLUMNS_SUFFIX: tuple[str, ...] = ("churn_probability", "churn_model")
#: Extra score column with ``explain > 0`` (see :func:`top_contributions`).
CHURN_EXPLANATION_COLUMN = "churn_top_features"
#: Degradation order of the final fit, per selected model.
FALLBACK_CHAIN: dict[str, tuple[str, ...]] = {
    HGB: (HGB, RECENCY_BASELINE, BASE_RATE),
    LOGISTIC: (LOGISTIC, RECENCY_BASELINE, BASE_RATE),
    RECENCY_BASELINE: (RECENCY_BASELINE, BASE_RATE),
    BASE_RATE: (BASE_RATE,),
}


@dataclass(frozen=True)
class ChurnSettings:
    """Tunable knobs. The defaults suit 10^3 to 10^7 customers on a laptop.

    Attributes:
        max_train_rows: fitting rows are subsampled (stratified by label, with the seed) to at
            most this many; scoring is never subsampled.
        min_train_rows: fewer labelled fitting rows than this and the learned models are not
            fitted ("tiny data"); the recency baseline or the base rate is used instead.
        min_class_rows: the learned models also need at least this many rows of the minority
            class.
        min_baseline_rows: the recency baseline needs this many rows and two of each class.
        top_fraction: share of highest-risk customers used by the lift metric.
        skew_threshold: sample skewness above which a non-negative feature gets ``log1p`` in
            the logistic pipeline.
        logistic_c: inverse L2 regularisation strength of both logistic models.
        hgb_max_iter, hgb_learning_rate, hgb_max_leaf_nodes, hgb_min_samples_leaf,
        hgb_l2_regularization: gradient-boosting hyper-parameters (early stopping is off).
            ``hgb_min_samples_leaf`` is lowered to ``max(5, n // 20)`` on small data.
        n_threads: thread cap (OpenMP and BLAS) while fitting and scoring. The default 1 is
            deliberate: the boosting model's OpenMP barriers degrade badly when the cores are
            shared (other dbt threads, DuckDB, other jobs). Measured on a busy 2-core machine,
            a 200k-row fit took 1.3-2 s on one thread and 5-27 s on two; idle, two threads
            saved about 0.6 s. ``None`` = library default (all cores).
        single_thread_below_rows: with ``n_threads=None``, fits and predictions on fewer rows
            than this still run on one thread, where thread start-up costs dominate.
    """

    max_train_rows: int = 200_000
    min_train_rows: int = 50
    min_class_rows: int = 5
    min_baseline_rows: int = 10
    top_fraction: float = 0.1
    skew_threshold: float = 1.0
    logistic_c: float = 1.0
    hgb_max_iter: int = 100
    hgb_learning_rate: float = 0.1
    hgb_max_leaf_nodes: int = 15
    hgb_min_samples_leaf: int = 40
    hgb_l2_regularization: float = 1.0
    n_threads: int | None = 1
    single_thread_below_rows: int = 50_000
