"""The CLV job behind the dbt Python models `clv_fit` and `customer_clv_scores`.

Time unit: weeks (the SQL summary gives recency and T in weeks). CLV is discounted per month:
the horizon is cut into months of 52/12 weeks and each month's expected purchases are
discounted at the monthly equivalent of the configured annual rate.

The model counts as fitted when BG/NBD was estimated on this data (status `ok` or
`not_converged`). Without a single repeat purchase (empty data, one order, all orders on one
day, cancelled orders only) BG/NBD cannot be identified: the job then publishes no score rows
and says in the `status` artifact why the model was not fitted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from audience import artifacts, clv

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


def score_customers(summary: pd.DataFrame, config: ClvConfig) -> tuple[pd.DataFrame, dict]:
    """Fit BG/NBD + Gamma-Gamma on the as-of summary and score every buyer.

    Returns (scores, diagnostics): scores has person_id, p_alive, expected_purchases (over the
    horizon, undiscounted), expected_avg_order_value and clv (discounted, over the horizon);
    no rows when BG/NBD could not be fitted (diagnostics `fitted`, `fit_status`). `clv_fit`
    stores the fit; `customer_clv_scores` scores from it (:func:`score_from_fit`).
    """
    return _score_customers(summary, config)


FITTED_STATUSES = ("ok", "not_converged")
_NOT_FITTED_REASONS = {
    "fallback_empty": "no buyers (no completed order) as of the as-of date",
    "fallback_no_repeat": (
        "no repeat purchases (every buyer bought on one day only): BG/NBD cannot be identified"
    ),
    "fallback_fit_failed": "the BG/NBD fit failed",
}


def fit_status(diagnostics: dict) -> tuple[bool, str]:
    """(fitted, reason a person can read) from the diagnostics of :func:`clv.fit_and_score`."""
    status = diagnostics.get("bgnbd_status")
    if status in FITTED_STATUSES:
        n_repeat = diagnostics.get("n_repeat_buyers", 0)
        return True, f"fitted: BG/NBD {status} on {diagnostics.get('n_customers')} buyers ({n_repeat} repeat)"
    detail = _NOT_FITTED_REASONS.get(str(status), str(status))
    warnings = "; ".join(w for w in diagnostics.get("warnings", []) if "failed" in w)
    return False, f"not fitted: {detail}" + (f" ({warnings})" if warnings else "")


def _score_customers(summary: pd.DataFrame, config: ClvConfig) -> tuple[pd.DataFrame, dict]:
    scores, diagnostics = clv.fit_and_score(
        _prepared(summary),
        horizon=config.horizon_months,
        discount_rate=config.monthly_discount_rate,
        customer_col="person_id",
        period_length=WEEKS_PER_MONTH,
    )
    scores = scores.rename(columns={"expected_avg_value": "expected_avg_order_value"})
    diagnostics["fitted"], diagnostics["fit_status"] = fit_status(diagnostics)
    if not diagnostics["fitted"]:
        scores = scores.iloc[0:0]
    return scores, diagnostics


SCORE_COLUMNS = ("p_alive", "expected_purchases", "expected_avg_order_value", "clv")


def score_from_fit(summary: pd.DataFrame, fit: pd.DataFrame, config: ClvConfig) -> pd.DataFrame:
    """Scores of :func:`score_customers` from the parameters `clv_fit` stored (rows of
    :func:`fit_clv_artifacts`), without fitting again; no rows when the model was not fitted."""
    status = fit[(fit["artifact"] == "status") & (fit["metric"] == "fitted")]
    if status.empty or status["value"].iloc[0] != 1.0:
        empty = {c: pd.Series(dtype="float64") for c in SCORE_COLUMNS}
        # typed: an empty object column would reach DuckDB as INTEGER
        return pd.DataFrame({"person_id": pd.Series(dtype="string"), **empty})
    params = fit[fit["artifact"] == "parameters"]
    values = dict(zip(params["metric"], params["value"], strict=True))
    texts = dict(zip(params["metric"], params["text_value"], strict=True))
    bg = clv.BgNbdParams(values["r"], values["alpha"], values["a"], values["b"])
    gg = None
    if texts.get("gg_status") in FITTED_STATUSES:
        gg = clv.GammaGammaParams(values["p"], values["q"], values["v"])
    scores = clv.score_with_parameters(
        _prepared(summary),
        bg,
        config.horizon_months,
        config.monthly_discount_rate,
        gg=gg,
        mean_value=float(values.get("population_mean_value", 0.0)),
        customer_col="person_id",
        period_length=WEEKS_PER_MONTH,
    )
    return scores.rename(columns={"expected_avg_value": "expected_avg_order_value"})


def holdout_check(calibration: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Fit BG/NBD on the calibration period; compare predicted and actual holdout purchases."""
    cal = _prepared(calibration)
    empty = pd.DataFrame(columns=["bucket", "n_customers", "predicted", "actual", "error", "abs_pct_error"])
    if cal.empty:
        return empty, {
            "status": "skipped: nobody had bought before the calibration cutoff (as-of - clv_holdout_days)"
        }
    if (cal["frequency"] > 0).sum() == 0:
        return empty, {"status": "skipped: no repeat buyers in the calibration period"}
    x, t_x, T = (cal[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    try:
        fit = clv.fit_bgnbd(x, t_x, T)
    except (ValueError, FloatingPointError) as exc:
        return empty, {"status": f"skipped: the calibration fit failed ({type(exc).__name__}: {exc})"}
    weeks = float(cal["holdout_weeks"].iloc[0])
    actual = cal["holdout_purchases"].to_numpy(dtype=float)
    table = clv.calibration_holdout_table(fit.params, x, t_x, T, actual, weeks)
    errors = clv.holdout_errors(fit.params, x, t_x, T, actual, weeks)
    errors.update({"converged": fit.converged, "log_likelihood": fit.log_likelihood, **fit.params.as_dict()})
    errors["status"] = "checked"
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

    status = pd.DataFrame(
        [
            {
                "metric": "fitted",
                "value": float(diagnostics["fitted"]),
                "text_value": diagnostics["fit_status"],
            },
            {
                "metric": "holdout_checked",
                "value": float(errors["status"] == "checked"),
                "text_value": errors["status"],
            },
        ]
    )
    parts = [
        frame("status", status),
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
