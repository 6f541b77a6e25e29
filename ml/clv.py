"""Customer lifetime value: BG/NBD (purchase frequency and drop-out) and Gamma-Gamma (spend per purchase).

The models are the published ones: Fader, Hardie and Lee (2005), "Counting your customers the easy way: an
alternative to the Pareto/NBD model", and Fader, Hardie and Lee (2005) / Fader and Hardie (2013), "The
Gamma-Gamma model of monetary value". Their likelihoods and conditional expectations are implemented here
directly with scipy (maximum likelihood on log-parameters, see `_maximum_likelihood`).

Why not the ``lifetimes`` package: its last release (0.11.3, 2020) still fits these parameters, but on
import it sets a global pandas option (``mode.chained_assignment``) that pandas 3 deprecates and pandas 4
removes, and it needs ``autograd``. These models are a few lines of closed-form likelihood each; owning them
keeps ``ml/`` free of global side effects and of an unmaintained dependency. On the CDNOW sample they
reproduce the published parameters (see ``tests/test_ml_clv.py``).

Units: frequency is the number of repeat purchase days (purchases on the same day count once), recency the
time from first to last purchase and T the time from first purchase to the end of the calibration period,
in units of `unit_days` (7 = weeks, as in the papers). Monetary value is the mean value of the repeat
purchase days (the first purchase is left out, as the Gamma-Gamma papers do).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

__all__ = [
    "BGNBDParams",
    "GammaGammaParams",
    "rfm_summary",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "probability_alive",
    "expected_purchases",
    "expected_average_value",
    "predict_clv",
]


@dataclass(frozen=True)
class BGNBDParams:
    """BG/NBD parameters: purchase rate ~ Gamma(r, alpha); drop-out probability ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = float("nan")
    unit_days: float = 7.0
    converged: bool = True

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma parameters: spend per transaction ~ Gamma(p, nu), nu ~ Gamma(q, v)."""

    p: float
    q: float
    v: float
    log_likelihood: float = float("nan")
    converged: bool = True

    def as_dict(self) -> dict:
        return asdict(self)


def rfm_summary(
    transactions: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    date_col: str = "date",
    value_col: str | None = "value",
    calibration_end: str | pd.Timestamp,
    unit_days: float = 7.0,
) -> pd.DataFrame:
    """Frequency, recency, T (and monetary value) per customer from a transaction log.

    Transactions after `calibration_end` are ignored; customers whose first purchase is after it do not
    appear. Purchases are grouped by calendar day (their values summed). Returns a frame indexed by customer
    with ``frequency``, ``recency``, ``T`` and, when `value_col` is given, ``monetary_value`` (0 for customers
    without repeat purchases).
    """
    end = pd.Timestamp(calibration_end)
    tx = transactions[[customer_col, date_col] + ([value_col] if value_col else [])].copy()
    tx[date_col] = pd.to_datetime(tx[date_col]).dt.normalize()
    tx = tx[tx[date_col] <= end]
    if value_col:
        days = tx.groupby([customer_col, date_col], sort=True)[value_col].sum().reset_index()
    else:
        days = tx.drop_duplicates([customer_col, date_col]).sort_values([customer_col, date_col])
    g = days.groupby(customer_col, sort=True)
    first = g[date_col].min()
    last = g[date_col].max()
    out = pd.DataFrame({
        "frequency": g.size() - 1,
        "recency": (last - first).dt.days / unit_days,
        "T": (end - first).dt.days / unit_days,
    })
    if value_col:
        is_first = days[date_col].eq(days[customer_col].map(first))
        repeat = days[~is_first].groupby(customer_col)[value_col].mean()
        out["monetary_value"] = repeat.reindex(out.index).fillna(0.0)
    out.index.name = customer_col
    return out


# -- BG/NBD --------------------------------------------------------------------------------------------------
def _bgnbd_loglik_terms(r, alpha, a, b, x, t_x, T, frequencies, of_frequency):
    """Log-likelihood of each customer (Fader, Hardie and Lee 2005, eq. 6).

    `frequencies` are the distinct values of x and `of_frequency` each customer's index into them: the gamma
    and beta functions, which depend on x alone, are evaluated once per distinct frequency, the same numbers
    at a fraction of the cost, for there are few distinct frequencies and many customers."""
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma_head = gammaln(r + frequencies)[of_frequency]
        beta_stayed = betaln(a, b + frequencies)[of_frequency]
        beta_dropped = betaln(a + 1, np.maximum(b + frequencies - 1, 1e-300))[of_frequency]
        head = gamma_head - gammaln(r) + r * np.log(alpha)
        stayed = beta_stayed - betaln(a, b) - (r + x) * np.log(alpha + T)
        dropped = np.where(x > 0, beta_dropped - betaln(a, b) - (r + x) * np.log(alpha + t_x), -np.inf)
    return head + np.logaddexp(stayed, dropped)


def fit_bgnbd(frequency, recency, T, *, unit_days: float = 7.0,
              initial: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)) -> BGNBDParams:
    """Maximum-likelihood BG/NBD parameters from per-customer frequency, recency and T (same units)."""
    x = np.asarray(frequency, dtype=float)
    t_x = np.asarray(recency, dtype=float)
    T = np.asarray(T, dtype=float)
    if len(x) == 0:
        raise ValueError("fit_bgnbd needs at least one customer")

    frequencies, of_frequency = np.unique(x, return_inverse=True)

    def mean_nll(log_params):
        r, alpha, a, b = np.exp(log_params)
        return -np.mean(_bgnbd_loglik_terms(r, alpha, a, b, x, t_x, T, frequencies, of_frequency))

    log_params, loglik, converged = _maximum_likelihood(mean_nll, initial, len(x))
    r, alpha, a, b = np.exp(log_params)
    return BGNBDParams(float(r), float(alpha), float(a), float(b), loglik, unit_days, converged)


# Log-parameters stay within +-20 (parameters from 2e-9 to 5e8). Where the likelihood has a ridge to infinity
# (drop-out with no heterogeneity between customers sends BG/NBD's a and b there together; spend with none sends
# Gamma-Gamma's q and v), an unbounded simplex wanders along it to its iteration cap: at 84,000 customers of the
# medium world, over 15 minutes of BG/NBD evaluations.
LOG_PARAM_BOUND = 20.0


def _maximum_likelihood(mean_nll, initial: tuple[float, ...], n: int) -> tuple[np.ndarray, float, bool]:
    """Log-parameters minimising a mean negative log-likelihood (L-BFGS-B, then Nelder-Mead from its end
    point), the total log-likelihood there, and whether the simplex converged. The mean rather than the sum
    keeps the tolerances meaningful at any number of customers: a sum over 100,000 customers cannot change by
    1e-12 in double precision. The simplex stops when it spans less than 1e-7 in every log-parameter (a
    relative 1e-7 in the parameter) and 1e-10 in the mean. Not less: where the terms of the likelihood reach
    thousands (Gamma-Gamma's q log v on a ridge), the mean is only exact to about 1e-12, and a simplex shrunk
    to one point would go on to its iteration cap waiting for its values to agree closer than that."""
    bounds = [(-LOG_PARAM_BOUND, LOG_PARAM_BOUND)] * len(initial)
    res = minimize(mean_nll, np.log(initial), method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-12})
    res = minimize(mean_nll, res.x, method="Nelder-Mead", bounds=bounds,
                   options={"maxiter": 20000, "xatol": 1e-7, "fatol": 1e-10})
    return res.x, float(-res.fun * n), bool(res.success)


def probability_alive(params: BGNBDParams, frequency, recency, T) -> np.ndarray:
    """P(still active at the end of calibration | x, t_x, T); 1 for customers with no repeat purchase."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x = np.asarray(frequency, dtype=float)
    t_x = np.asarray(recency, dtype=float)
    T = np.asarray(T, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = (np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
                     + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))
    return np.where(x > 0, 1.0 / (1.0 + np.exp(log_ratio)), 1.0)


def expected_purchases(params: BGNBDParams, t: float, frequency, recency, T) -> np.ndarray:
    """E[number of purchases in the next `t` units | x, t_x, T] (Fader, Hardie and Lee 2005, eq. 10)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    x = np.asarray(frequency, dtype=float)
    t_x = np.asarray(recency, dtype=float)
    T = np.asarray(T, dtype=float)
    z = t / (alpha + T + t)
    hyp = hyp2f1(r + x, b + x, a + b + x - 1, z)
    first = (a + b + x - 1) / (a - 1)
    second = 1.0 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp
    with np.errstate(divide="ignore", invalid="ignore"):
        den = 1.0 + np.where(x > 0, (a / np.maximum(b + x - 1, 1e-300)) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
    return first * second / den


# -- Gamma-Gamma ---------------------------------------------------------------------------------------------
def fit_gamma_gamma(frequency, monetary_value, *, initial: tuple[float, float, float] = (1.0, 1.0, 1.0)
                    ) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma parameters from repeat buyers' frequency and mean spend.

    Customers with no repeat purchase (or a non-positive mean) are left out, as the model requires.
    """
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    keep = (x > 0) & (m > 0)
    x, m = x[keep], m[keep]
    if len(x) == 0:
        raise ValueError("fit_gamma_gamma needs customers with repeat purchases")

    def mean_nll(log_params):
        p, q, v = np.exp(log_params)
        ll = (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v) + (p * x - 1) * np.log(m)
              + (p * x) * np.log(x) - (p * x + q) * np.log(x * m + v))
        return -np.mean(ll)

    log_params, loglik, converged = _maximum_likelihood(mean_nll, initial, len(x))
    p, q, v = np.exp(log_params)
    return GammaGammaParams(float(p), float(q), float(v), loglik, converged)


def expected_average_value(params: GammaGammaParams, frequency, monetary_value) -> np.ndarray:
    """E[spend per transaction | x, mean spend]: a weighted mean of the customer's own mean and the
    population mean (p v / (q - 1)); customers without repeat purchases get the population mean."""
    p, q, v = params.p, params.q, params.v
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    population = p * v / (q - 1)
    individual = (p * (v + x * m)) / (p * x + q - 1)
    return np.where(x > 0, individual, population)


def predict_clv(
    summary: pd.DataFrame,
    bgnbd: BGNBDParams,
    gamma_gamma: GammaGammaParams,
    *,
    horizon_days: float = 365.0,
    annual_discount_rate: float = 0.0,
) -> pd.DataFrame:
    """Per customer: probability alive, expected purchases and value over the horizon (default 12 months).

    `summary` is an `rfm_summary` frame (``frequency``, ``recency``, ``T``, ``monetary_value``). The value is
    expected purchases x expected spend per purchase, discounted month by month at `annual_discount_rate`
    (0 = undiscounted).
    """
    f, rec, T = summary["frequency"], summary["recency"], summary["T"]
    unit = bgnbd.unit_days
    months = max(1, int(round(horizon_days / (365.0 / 12))))
    step = horizon_days / months / unit
    monthly_rate = (1.0 + annual_discount_rate) ** (1 / 12) - 1
    spend = expected_average_value(gamma_gamma, f, summary["monetary_value"])
    clv = np.zeros(len(summary))
    previous = np.zeros(len(summary))
    for k in range(1, months + 1):
        cumulative = expected_purchases(bgnbd, step * k, f, rec, T)
        clv += (cumulative - previous) * spend / (1 + monthly_rate) ** k
        previous = cumulative
    return pd.DataFrame({
        "probability_alive": probability_alive(bgnbd, f, rec, T),
        "expected_purchases": previous,
        "expected_average_value": spend,
        "predicted_value": clv,
    }, index=summary.index)
