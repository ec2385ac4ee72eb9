"""The CLV job behind the dbt Python models `clv_fit` and `customer_clv_scores`.

Time unit: weeks (the SQL summary gives recency and T in weeks). CLV is discounted per month:
the horizon is cut into months of 52/12 weeks and each month's expected purchases are
discounted at the monthly equivalent of the configured annual rate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from audience import artifacts, clv, memo

MODEL_NAME = "bgnbd_gamma_gamma"
WEEKS_PER_MONTH = 52.0 / 12.0


@dataclass(frozen=True)
class ClvConfig:
    """Settings from the dbt vars `clv_*`."""

    horizon_days: int = 365
    annual_discount_rate: float = 0.10

    @property
    def horizon_months(self) -> int:
        return max(1, round(self.horizon_days / 30.4375))

    @property
    def monthly_discount_rate(self) -> float:
        return (1.0 + self.annual_discount_rate) ** (1.0 / 12.0) - 1.0


_SUMMARY_COLUMNS = {"recency_weeks": "recency", "t_weeks": "T"}


def _prepared(summary: pd.DataFrame) -> pd.DataFrame:
    out = summary.rename(columns=_SUMMARY_COLUMNS).sort_values("person_id").reset_index(drop=True)
    out["monetary_value"] = out["monetary_value"].fillna(0.0)
    return out


_last_fit = memo.LastResult()


def score_customers(summary: pd.DataFrame, config: ClvConfig) -> tuple[pd.DataFrame, dict]:
    """Fit BG/NBD + Gamma-Gamma on the as-of summary and score every buyer.

    Returns (scores, diagnostics): scores has person_id, p_alive, expected_purchases (over the
    horizon, undiscounted), expected_avg_order_value and clv (discounted, over the horizon).
    `clv_fit` and `customer_clv_scores` both call this on the same summary within one dbt
    process (issue 7): the fit runs once and is reused (see :mod:`audience.memo`).
    """
    return _last_fit.get(summary, config, _score_customers)


def _score_customers(summary: pd.DataFrame, config: ClvConfig) -> tuple[pd.DataFrame, dict]:
    scores, diagnostics = clv.fit_and_score(
        _prepared(summary),
        horizon=config.horizon_months,
        discount_rate=config.monthly_discount_rate,
        customer_col="person_id",
        period_length=WEEKS_PER_MONTH,
    )
    scores = scores.rename(columns={"expected_avg_value": "expected_avg_order_value"})
    return scores, diagnostics


def holdout_check(calibration: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Fit BG/NBD on the calibration period; compare predicted and actual holdout purchases."""
    cal = _prepared(calibration)
    if cal.empty or (cal["frequency"] > 0).sum() == 0:
        empty = pd.DataFrame(
            columns=["bucket", "n_customers", "predicted", "actual", "error", "abs_pct_error"]
        )
        return empty, {"status": "skipped: no repeat buyers in the calibration period"}
    x, t_x, T = (cal[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    fit = clv.fit_bgnbd(x, t_x, T)
    weeks = float(cal["holdout_weeks"].iloc[0])
    actual = cal["holdout_purchases"].to_numpy(dtype=float)
    table = clv.calibration_holdout_table(fit.params, x, t_x, T, actual, weeks)
    errors = clv.holdout_errors(fit.params, x, t_x, T, actual, weeks)
    errors.update({"converged": fit.converged, "log_likelihood": fit.log_likelihood, **fit.params.as_dict()})
    return table, errors


def fit_clv_artifacts(summary: pd.DataFrame, calibration: pd.DataFrame, config: ClvConfig) -> pd.DataFrame:
    """Parameters, diagnostics and the holdout calibration table as one artifact frame."""
    _, diagnostics = score_customers(summary, config)
    table, errors = holdout_check(calibration)
    version = artifacts.model_version(MODEL_NAME, asdict(config), _numeric(diagnostics))

    params = pd.DataFrame(
        [{"metric": k, "value": v} for k, v in _numeric(diagnostics).items()]
        + [
            {"metric": f"{k}_status", "text_value": str(diagnostics.get(f"{k}_status"))}
            for k in ("bgnbd", "gg")
        ]
    )
    holdout = table.rename(columns={"bucket": "feature"}).copy()
    holdout["feature"] = holdout["feature"].astype(str)
    holdout_long = artifacts.long_metrics(
        holdout,
        ["feature"],
        [c for c in ("n_customers", "predicted", "actual", "error", "abs_pct_error") if c in holdout],
    )
    holdout_errors = pd.DataFrame(
        [{"metric": k, "value": v} for k, v in _numeric(errors).items()]
        + [{"metric": k, "text_value": str(v)} for k, v in errors.items() if not _is_number(v)]
    )
    run = artifacts.run_record(
        {**asdict(config), "time_unit": "weeks", "period": "month"},
        {
            **_numeric(diagnostics),
            **{f"holdout_{k}": v for k, v in _numeric(errors).items()},
            "warnings": diagnostics.get("warnings", []),
        },
    )

    def frame(name: str, rows: pd.DataFrame) -> pd.DataFrame:
        return artifacts.artifact_frame(MODEL_NAME, version, name, rows)

    parts = [
        frame("parameters", params),
        frame("holdout_bucket", holdout_long),
        frame("holdout_error", holdout_errors),
        frame("run", run),
    ]
    return pd.concat([p for p in parts if len(p)], ignore_index=True)


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _numeric(d: dict) -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in d.items():
        if isinstance(v, bool | np.bool_):
            out[k] = float(v)
        elif _is_number(v) and np.isfinite(float(v)):
            out[k] = float(v)
    return out
