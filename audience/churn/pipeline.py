"""The whole churn run: compare the models, then refit the selected one and score."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import pandas as pd

from audience.churn.compare import run_comparison
from audience.churn.final import run_final_fit
from audience.churn.settings import (
    LEARNED_MODELS,
    ChurnSettings,
)


def churn_pipeline(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    current: pd.DataFrame,
    features: Iterable[str] | None = None,
    seed: int = 0,
    *,
    label_col: str = "churned",
    baseline_col: str = "recency_days",
    id_col: str = "person_id",
    settings: ChurnSettings | None = None,
    explain: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """:func:`compare_models` then :func:`fit_final_and_score` with the selected model.

    ``explain``: see :func:`fit_final_and_score`.

    Returns:
        ``(scores, metrics, diagnostics)``; ``diagnostics`` holds ``selected_model``,
        ``method`` (used for the scores), ``fallback``, ``flags`` (union of both steps), and
        the per-step details under ``compare`` and ``final``.
    """
    settings = settings or ChurnSettings()
    t0 = time.perf_counter()
    metrics, best, compare_diag = run_comparison(
        train, valid, features, label_col, baseline_col, seed, id_col, settings
    )
    scores, final_diag = run_final_fit(
        train, valid, current, features, best, seed, label_col, baseline_col, id_col, settings, explain
    )
    diagnostics: dict[str, Any] = {
        "selected_model": best,
        "method": final_diag["method"],
        "fallback": best not in LEARNED_MODELS or bool(final_diag["fallback"]),
        "flags": sorted(set(compare_diag["flags"]) | set(final_diag["flags"])),
        "compare": compare_diag,
        "final": final_diag,
        "timings_s": {"total": time.perf_counter() - t0},
    }
    return scores, metrics, diagnostics
