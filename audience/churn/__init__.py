"""Churn propensity: compare models on a time split, refit the winner, score everybody.

Definitions
-----------
A customer *churns* after a cutoff when they make **no purchase** within the horizon ``H``
days that follow it. The SQL layer computes one feature row per person "as of" a date and the
label, and the dbt Python model hands this module three frames:

``train``
    features as of ``as_of - 2H``; label = no purchase in ``(as_of - 2H, as_of - H]``.
``valid``
    features as of ``as_of - H``; label = no purchase in ``(as_of - H, as_of]``.
``current``
    features as of ``as_of``; no label (this is what gets scored).

Only customers with at least one purchase before the respective cutoff appear in a frame.

Models
------
``logistic``
    ``SimpleImputer(median, missing indicators) -> SkewedLog1p -> StandardScaler ->
    LogisticRegression(C=1)``. :class:`SkewedLog1p` applies ``log1p`` to every column that is
    non-negative and right-skewed (sample skewness above ``ChurnSettings.skew_threshold``) in
    the data it is fitted on.
``hist_gradient_boosting``
    ``HistGradientBoostingClassifier`` with native missing-value handling, early stopping
    **off** and a fixed, modest number of iterations, so a fit is deterministic for a seed.
``recency_baseline``
    the naive rule "the longer since the last purchase, the likelier the churn": a one-feature
    logistic regression on ``log1p(recency_days)`` (median-imputed), fitted on ``train``. We use
    this *calibrated* form, not a min-max scaled recency, so that its Brier score is a fair
    reference. Its ranking equals the ranking by raw recency whenever the fitted slope is
    positive (recorded as ``baseline_slope`` in the diagnostics), so its AUC, PR-AUC and lift are
    those of the raw recency rule.
``base_rate``
    a constant: the churn rate of the labelled rows. Last resort only.

Selection rule
--------------
Among the two learned models (``logistic``, ``hist_gradient_boosting``) the one with the
highest AUC on ``valid`` wins; an exact tie goes to ``logistic`` (simpler). A model that could
not be fitted or whose AUC is undefined is not a candidate. If no learned model has a defined
AUC (``valid`` empty or single-class) but ``logistic`` fitted, ``logistic`` is chosen and the
choice flagged. If neither learned model can be fitted (tiny or single-class ``train``, no usable
feature), the choice falls to ``recency_baseline`` and then ``base_rate``. The baseline is never
selected over a learned model that has a defined AUC; when the winner does not beat it, the
diagnostics say so (flag ``selected_not_better_than_baseline``).

The final fit (:func:`fit_final_and_score`) refits the selected model on ``train`` and
``valid`` together. It never upgrades to a more complex model than the one selected, it only
degrades along ``hist_gradient_boosting | logistic -> recency_baseline -> base_rate`` when the
combined data cannot support the selected one; every degradation is flagged.

Everything is deterministic for a given ``seed``: subsampling uses
``numpy.random.default_rng(seed)``, the boosting model uses ``random_state=seed`` with early
stopping off, and logistic regression uses the deterministic L-BFGS solver.

Modules
-------
:mod:`~audience.churn.settings` (model names, columns, :class:`ChurnSettings`),
:mod:`~audience.churn.features` (feature and label columns, fitting data, :class:`SkewedLog1p`),
:mod:`~audience.churn.models` (the candidate models), :mod:`~audience.churn.metrics`,
:mod:`~audience.churn.compare` (model comparison and selection), :mod:`~audience.churn.final`
(final fit and scoring), :mod:`~audience.churn.explain` (per-person explanations) and
:mod:`~audience.churn.pipeline` (both steps). This package re-exports their public API.
"""

from __future__ import annotations

from audience.churn.compare import compare_models, compare_with_diagnostics
from audience.churn.explain import feature_contributions, top_contributions
from audience.churn.features import SkewedLog1p
from audience.churn.final import fit_final_and_score
from audience.churn.metrics import score_metrics, top_decile_lift
from audience.churn.pipeline import churn_pipeline
from audience.churn.settings import (
    BASE_RATE,
    CHURN_EXPLANATION_COLUMN,
    DEFAULT_FEATURES,
    HGB,
    LEARNED_MODELS,
    LOGISTIC,
    METRIC_COLUMNS,
    MODEL_NAMES,
    RECENCY_BASELINE,
    SCORE_COLUMNS_SUFFIX,
    ChurnSettings,
)

__all__ = [
    "BASE_RATE",
    "CHURN_EXPLANATION_COLUMN",
    "DEFAULT_FEATURES",
    "HGB",
    "LEARNED_MODELS",
    "LOGISTIC",
    "METRIC_COLUMNS",
    "MODEL_NAMES",
    "RECENCY_BASELINE",
    "SCORE_COLUMNS_SUFFIX",
    "ChurnSettings",
    "SkewedLog1p",
    "churn_pipeline",
    "compare_models",
    "compare_with_diagnostics",
    "feature_contributions",
    "fit_final_and_score",
    "score_metrics",
    "top_contributions",
    "top_decile_lift",
]
