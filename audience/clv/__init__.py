"""Probabilistic customer lifetime value: BG/NBD purchase model and Gamma-Gamma spend model.

Models
------
**BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way"). While alive, a
customer makes repeat purchases as a Poisson process with rate ``lambda``; after each *repeat*
purchase the customer drops out ("dies") with probability ``p``. Across customers
``lambda ~ Gamma(shape=r, rate=alpha)`` and ``p ~ Beta(a, b)``. Each customer is summarised by

* ``x``   -- frequency: number of repeat purchases (the first purchase is not counted),
* ``t_x`` -- recency: time of the last repeat purchase, measured from the first purchase
  (0 when ``x == 0``),
* ``T``   -- age: time from the first purchase to the end of the observation window.

The individual likelihood, written on the log scale so that it is stable for large ``x``:

    log L = log G(r+x) - log G(r) + r log(alpha) + log B(a, b+x) - log B(a, b)
            + logaddexp( -(r+x) log(alpha+T),
                         [x>0] (log a - log(b+x-1) - (r+x) log(alpha+t_x)) )

**Gamma-Gamma** (Fader, Hardie & Lee 2005, "RFM and CLV"). Transaction values of a customer are
``Gamma(shape=p, rate=nu)`` with ``nu ~ Gamma(shape=q, rate=v)`` across customers, so the mean
``m`` of ``x`` repeat transaction values is ``Gamma(p x, nu x)`` given ``nu``. Integrating ``nu``
out gives the likelihood fitted here; the conditional expected average value is

    E[M | x, m] = p (v + x m) / (p x + q - 1)

which shrinks ``m`` towards the population mean ``p v / (q - 1)`` (finite only when ``q > 1``).
The model assumes spend is independent of purchase frequency; the fit reports their correlation.

**CLV** over a horizon of ``H`` periods of length ``L`` (in model time units) is

    CLV = margin * E[M] * sum_{k=1..H} (E[Y(kL)] - E[Y((k-1)L)]) / (1 + d)^k

with ``E[Y(t)]`` the BG/NBD conditional expected number of purchases in ``(T, T + t]``.

Time unit
---------
All times (``t_x``, ``T``, ``t``, horizons, ``period_length``) are in a single unit chosen by the
caller; the dbt models use **weeks**. Only ``alpha`` carries the unit (it is a time scale); ``r``,
``a`` and ``b`` are unit free. Internally the fit rescales time (and money) to order one for
numerical conditioning; reported parameters and log-likelihoods are in the caller's units.

Parameters are estimated by maximum likelihood (L-BFGS-B on log-parameters with analytic
gradients). Optional per-row weights let identical ``(x, t_x, T)`` rows be aggregated.

Modules
-------
:mod:`~audience.clv.params` (parameter and result containers), :mod:`~audience.clv.bgnbd`
(BG/NBD likelihood and fit), :mod:`~audience.clv.bgnbd_predict` (P(alive), expected purchases),
:mod:`~audience.clv.gamma_gamma` (spend model), :mod:`~audience.clv.lifetime_value` (discounted
CLV), :mod:`~audience.clv.holdout` (holdout calibration), :mod:`~audience.clv.scoring`
(fit and score an RFM summary with fallbacks), :mod:`~audience.clv.simulate` (simulation for
tests) and :mod:`~audience.clv.numerics` (shared numerical helpers). This package re-exports
their public API.
"""

from __future__ import annotations

from audience.clv.bgnbd import bgnbd_log_likelihood, bgnbd_log_likelihood_individual, fit_bgnbd
from audience.clv.bgnbd_predict import expected_purchases, expected_purchases_new, p_alive
from audience.clv.gamma_gamma import expected_average_value, fit_gamma_gamma, gamma_gamma_log_likelihood
from audience.clv.holdout import calibration_holdout_table, holdout_errors
from audience.clv.lifetime_value import clv, discounted_expected_purchases
from audience.clv.params import BgNbdParams, FitResult, GammaGammaFitResult, GammaGammaParams
from audience.clv.scoring import fit_and_score, score_with_parameters
from audience.clv.simulate import simulate_bgnbd, simulate_bgnbd_holdout, simulate_gamma_gamma

__all__ = [
    "BgNbdParams",
    "GammaGammaParams",
    "FitResult",
    "GammaGammaFitResult",
    "bgnbd_log_likelihood",
    "bgnbd_log_likelihood_individual",
    "fit_bgnbd",
    "p_alive",
    "expected_purchases",
    "expected_purchases_new",
    "gamma_gamma_log_likelihood",
    "fit_gamma_gamma",
    "expected_average_value",
    "discounted_expected_purchases",
    "clv",
    "calibration_holdout_table",
    "holdout_errors",
    "fit_and_score",
    "score_with_parameters",
    "simulate_bgnbd",
    "simulate_bgnbd_holdout",
    "simulate_gamma_gamma",
]
