"""Parameter and fit-result containers of the BG/NBD and Gamma-Gamma models."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class BgNbdParams:
    """BG/NBD parameters: ``lambda ~ Gamma(r, rate alpha)``, ``p ~ Beta(a, b)``."""

    r: float
    alpha: float
    a: float
    b: float

    def __post_init__(self) -> None:
        for name in ("r", "alpha", "a", "b"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"BG/NBD parameter {name} must be finite and > 0, got {value}")

    def as_dict(self) -> dict[str, float]:
        """Parameters as a plain dict."""
        return {k: float(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma parameters: values ``~ Gamma(p, rate nu)``, ``nu ~ Gamma(q, rate v)``."""

    p: float
    q: float
    v: float

    def __post_init__(self) -> None:
        for name in ("p", "q", "v"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"Gamma-Gamma parameter {name} must be finite and > 0, got {value}")

    @property
    def population_mean(self) -> float:
        """Mean transaction value of a random customer, ``p v / (q - 1)`` (inf if ``q <= 1``)."""
        return self.p * self.v / (self.q - 1.0) if self.q > 1.0 else math.inf

    def as_dict(self) -> dict[str, float]:
        """Parameters as a plain dict."""
        return {k: float(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class FitResult:
    """Outcome of a maximum-likelihood fit.

    ``log_likelihood`` is the (weighted) total log-likelihood at ``params`` in the caller's units;
    ``n_customers`` is the total weight (number of customers) used and ``n_rows`` the number of
    input rows after filtering.
    """

    params: BgNbdParams | GammaGammaParams
    log_likelihood: float
    converged: bool
    n_iterations: int
    message: str
    n_customers: int
    n_rows: int


@dataclass(frozen=True)
class GammaGammaFitResult(FitResult):
    """Gamma-Gamma fit plus the frequency/monetary correlations among the customers used.

    The model assumes frequency and spend are independent; a large ``|corr|`` (say > 0.3)
    is a warning that the model may be mis-specified.
    """

    frequency_monetary_corr: float = math.nan
    frequency_monetary_spearman: float = math.nan
