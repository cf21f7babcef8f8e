"""Customer lifetime value: purchase models (BG/NBD, MBG/NBD) and Gamma-Gamma spend, as of a date.

Each step is a pure pandas/numpy/scipy function tested in tests/python/test_scoring_clv.py:

1. ``repeat_purchase_summary``: per client x (repeat purchase days: purchases on one day are one
   purchase), t_x (weeks from the first to the last purchase day), T (weeks from the first
   purchase day to the last day observed, the day before the as-of date) and the mean value
   of the repeat purchase days.
2. ``fit_purchase_model``: maximum likelihood over log-parameters (so r, alpha, a, b stay
   positive) for BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way",
   eq. 6) or MBG/NBD (Batislam, Denizel & Filiztekin 2007), which lets a client drop out right
   after the first purchase too, so a one-time buyer silent for long is probably gone.
3. ``compare_on_holdout``: both fitted on the invoices before the last holdout_days and
   measured on the holdout, as Fader & Hardie validate BG/NBD; the better one drives expected
   purchases and CLV.
4. ``fit_gamma_gamma``: maximum likelihood for the Gamma-Gamma spend model (Fader, Hardie & Lee
   2005, "RFM and CLV", eq. 1-3) on clients with repeat purchases.
5. ``score_clv``: P(alive) (MBG/NBD), expected purchases in 90 days and 12 months (FHL eq. 10),
   the probability of no purchase in the holdout_days ahead (read by int_client_churn as a churn
   candidate, with its holdout twin for validation), expected average spend (Gamma-Gamma
   conditional mean) and a 12-month CLV that sums the expected purchases of each month times the
   expected spend, discounted monthly.

When a model cannot be fitted (too few clients, no repeat purchases, zero spend, an optimiser
that does not converge) ``score_clv`` does not fail: it uses the documented fallback, names it
in ``clv_method`` and reports ``fit_status`` 0 with the reason in ``message``.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import optimize, special

DAYS_PER_WEEK = 7.0
WEEKS_90_DAYS = 90 / DAYS_PER_WEEK
WEEKS_PER_MONTH = 365.25 / 12 / DAYS_PER_WEEK
WEEKS_12_MONTHS = 12 * WEEKS_PER_MONTH
MIN_CLIENTS_TO_FIT = 20
MIN_REPEAT_CLIENTS_TO_FIT = 10
SINGULARITY_STEP = 1e-6

SCORE_COLUMNS = [
    "client_key",
    "frequency",
    "recency_weeks",
    "tenure_weeks",
    "monetary_value",
    "p_alive",
    "expected_purchases_90d",
    "expected_purchases_12m",
    "expected_avg_spend",
    "clv_12m",
    "clv_method",
    "p_no_purchase_horizon",
    "holdout_p_no_purchase",
]
# Purchase models, in the order a tie on the holdout is broken: the paper's model first.
PURCHASE_MODELS = ("bg_nbd", "mbg_nbd")
MODEL_LABELS = {"bg_nbd": "BG/NBD", "mbg_nbd": "MBG/NBD"}


class ModelFitError(ValueError):
    """The model cannot be fitted on this data; the message says why."""


class PurchaseFit(NamedTuple):
    model: str
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_clients: int


class GammaGammaFit(NamedTuple):
    p: float
    q: float
    gamma: float
    log_likelihood: float
    n_clients: int


# Also in int_client_churn.py: Snowflake runs each model file alone, so they cannot share a module.
def day_numbers(dates) -> np.ndarray:
    """Calendar days since 1970-01-01 (int64) of dates or timestamps of any resolution (date
    objects, ISO strings, numpy or pandas values; one or many). Date arithmetic uses these: a
    pandas Timedelta counts nanoseconds and overflows beyond 292 years, nanosecond timestamps end
    in 2262, and the as-of date and the staging date bounds are vars anyone can set."""
    array = np.asarray(dates)
    if array.dtype.kind != "M":
        array = array.astype("datetime64[us]")
    return array.astype("datetime64[D]").astype(np.int64)


# Also in int_client_churn.py.
def sort_codes(values: pd.Series) -> np.ndarray:
    """Integer codes ordered like the values, missing values last, as sort_values orders them."""
    codes, uniques = pd.factorize(values, sort=True)
    return np.where(codes < 0, len(uniques), codes)


def sort_order(frame: pd.DataFrame, columns: list[str], first_codes=None) -> np.ndarray:
    """Positions that order frame as frame.sort_values(columns) does (stable), but the last
    column is only ranked among rows tied on all the others. Ranking a million near-unique
    invoice numbers is most of what sort_values costs, and they only break ties within a
    client's day. ``first_codes``: sort_codes of the first column, when the caller has them."""
    leading = [
        first_codes if number == 0 and first_codes is not None else sort_codes(frame[column])
        for number, column in enumerate(columns[:-1])
    ]
    group = np.ravel_multi_index(leading, [len(frame) + 1] * len(leading))
    tied = pd.Series(group).duplicated(keep=False).to_numpy()
    last = np.zeros(len(frame), dtype=np.int64)
    last[tied] = sort_codes(frame[columns[-1]][tied])
    return np.lexsort([last, *leading[::-1]])


class InvoiceArrays(NamedTuple):
    """Invoices as arrays, for the steps that each read them: client codes in client_key
    order (keys as text, ``client_keys[client]`` is each row's key), calendar day numbers and
    values. Hashing a million key strings once instead of once per step."""

    client: np.ndarray
    client_keys: np.ndarray
    day: np.ndarray
    value: np.ndarray


def invoice_arrays(invoices: pd.DataFrame) -> InvoiceArrays:
    client, client_keys = pd.factorize(invoices["client_key"].astype(str), sort=True)
    return InvoiceArrays(
        client,
        np.asarray(client_keys),
        day_numbers(invoices["invoice_date"]),
        pd.to_numeric(invoices["invoice_value"], errors="coerce").astype(float).to_numpy(),
    )


def repeat_purchase_summary(invoices: pd.DataFrame, as_of_date) -> pd.DataFrame:
    """Per client: x, t_x and T in weeks, and the mean value of its repeat purchase days.

    ``invoices`` has client_key, invoice_date and invoice_value. Rows on or after the as-of
    date are a caller error (the warehouse never passes them), so they raise. Clients without a
    repeat purchase have monetary_value 0.
    """
    return _repeat_purchase_summary(invoice_arrays(invoices), as_of_date)


def _repeat_purchase_summary(arrays: InvoiceArrays, as_of_date) -> pd.DataFrame:
    as_of = day_numbers(as_of_date)
    if (arrays.day >= as_of).any():
        raise ValueError(
            f"invoices on or after the as-of date {as_of.astype('datetime64[D]')} were passed"
        )
    # Grouped by integer codes in client_key order; rows keep their order within each group, so
    # sums are unchanged.
    days = (
        pd.DataFrame({"client": arrays.client, "day": arrays.day, "value": arrays.value})
        .groupby(["client", "day"], as_index=False)["value"]
        .sum()
        .sort_values(["client", "day"])
    )
    per_client = days.groupby("client").agg(
        first_day=("day", "min"),
        last_day=("day", "max"),
        purchase_days=("day", "size"),
        total_value=("value", "sum"),
        first_value=("value", "first"),
    )
    # Dates carry no time of day, so time is measured date to date, to the last day observed
    # (Fader & Hardie's convention, which reproduces their CDNOW figures): a client who bought
    # on that day has t_x = T, no silence yet.
    last_observed = as_of - 1
    frequency = per_client["purchase_days"] - 1
    repeat_value = per_client["total_value"] - per_client["first_value"]
    summary = pd.DataFrame(
        {
            "frequency": frequency.astype(int),
            "recency_weeks": (per_client["last_day"] - per_client["first_day"]) / DAYS_PER_WEEK,
            "tenure_weeks": (last_observed - per_client["first_day"]) / DAYS_PER_WEEK,
            "monetary_value": np.where(frequency > 0, repeat_value / frequency.clip(lower=1), 0.0),
            "mean_day_value": per_client["total_value"] / per_client["purchase_days"],
        }
    )
    summary = summary.sort_index()
    return (
        summary.set_axis(arrays.client_keys[summary.index]).rename_axis("client_key").reset_index()
    )


def distinct_values(*arrays) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Per array its distinct values and where each element's value sits among them
    (np.unique with return_inverse): x has a few hundred distinct values and t_x and T about a
    thousand among 200,000 clients, so a fit computes this once, not once per optimiser step."""
    return tuple(np.unique(values, return_inverse=True) for values in arrays)


def purchase_log_likelihood(
    params, x, t_x, big_t, model: str = "bg_nbd", distinct=None
) -> np.ndarray:
    """Per-client log-likelihood, in logs so large x cannot overflow: BG/NBD (FHL 2005 eq. 6) or
    MBG/NBD (Batislam et al. 2007), where a client may also drop out right after the first
    purchase, so the dropped-after-the-last-purchase term exists for x = 0 too.

    ``distinct`` is ``distinct_values(x, t_x, big_t)`` when the caller evaluates the same clients
    many times (computed here otherwise)."""
    r, alpha, a, b = params
    # The gamma and beta functions depend on x alone, and the logs of alpha + t_x and alpha + T
    # on t_x and T alone: evaluated once per distinct value and gathered (the same values,
    # element by element), they no longer dominate each optimiser step.
    (x_values, x_at), (t_x_values, t_x_at), (big_t_values, big_t_at) = (
        distinct if distinct is not None else distinct_values(x, t_x, big_t)
    )
    r_x = r + x
    shared = (special.gammaln(r + x_values) - special.gammaln(r))[x_at] + r * np.log(alpha)
    if model == "mbg_nbd":
        still_alive = (special.betaln(a, b + x_values + 1) - special.betaln(a, b))[x_at]
        dropped_after_last = (special.betaln(a + 1, b + x_values) - special.betaln(a, b))[
            x_at
        ] - r_x * np.log(alpha + t_x_values)[t_x_at]
    else:
        still_alive = (special.betaln(a, b + x_values) - special.betaln(a, b))[x_at]
        with np.errstate(invalid="ignore", divide="ignore"):
            dropped_after_last = np.where(
                x > 0,
                (special.betaln(a + 1, np.maximum(b + x_values - 1, 1e-12)) - special.betaln(a, b))[
                    x_at
                ]
                - r_x * np.log(alpha + t_x_values)[t_x_at],
                -np.inf,
            )
    still_alive = still_alive - r_x * np.log(alpha + big_t_values)[big_t_at]
    return shared + np.logaddexp(still_alive, dropped_after_last)


def _fit_positive(negative_log_likelihood, start: np.ndarray) -> np.ndarray:
    """Minimise over log-parameters from a fixed start: L-BFGS-B (about ten times fewer
    evaluations than a simplex at 200,000 clients), Nelder-Mead when it stalls; a fit that still
    fails or is not finite raises ModelFitError."""

    def objective(log_params):
        return negative_log_likelihood(np.exp(log_params))

    result = optimize.minimize(objective, np.log(start), method="L-BFGS-B")
    if not result.success or not np.isfinite(result.fun):
        result = optimize.minimize(
            objective,
            np.log(start),
            method="Nelder-Mead",
            options={"maxiter": 4000, "xatol": 1e-7, "fatol": 1e-9},
        )
    params = np.exp(result.x)
    if not result.success or not np.all(np.isfinite(params)) or not np.isfinite(result.fun):
        raise ModelFitError(f"the optimiser did not converge: {result.message}")
    return params


def fit_purchase_model(x, t_x, big_t, model: str = "bg_nbd") -> PurchaseFit:
    """Maximum-likelihood BG/NBD or MBG/NBD parameters; ModelFitError when the data cannot
    identify them."""
    name = MODEL_LABELS[model]
    x, t_x, big_t = (np.asarray(values, dtype=float) for values in (x, t_x, big_t))
    if len(x) < MIN_CLIENTS_TO_FIT:
        raise ModelFitError(f"{name} needs at least {MIN_CLIENTS_TO_FIT} clients, got {len(x)}")
    repeaters = int((x > 0).sum())
    if repeaters < MIN_REPEAT_CLIENTS_TO_FIT:
        raise ModelFitError(
            f"{name} needs at least {MIN_REPEAT_CLIENTS_TO_FIT} clients with a repeat "
            f"purchase, got {repeaters}"
        )
    if np.all(big_t <= 0):
        raise ModelFitError(f"{name} needs clients observed for some time before the as-of date")
    if np.ptp(x) == 0 and np.ptp(t_x) == 0 and np.ptp(big_t) == 0:
        raise ModelFitError(
            f"{name} cannot be fitted: every client has the same purchase history, which does"
            " not identify its four parameters"
        )
    big_t = np.maximum(big_t, 1 / DAYS_PER_WEEK)
    distinct = distinct_values(x, t_x, big_t)
    params = _fit_positive(
        lambda p: -purchase_log_likelihood(p, x, t_x, big_t, model, distinct).sum() / len(x),
        np.array([1.0, float(np.mean(big_t)), 1.0, 1.0]),
    )
    total = float(purchase_log_likelihood(params, x, t_x, big_t, model, distinct).sum())
    fit = PurchaseFit(model, *(float(value) for value in params), total, len(x))
    # An optimum far out on a flat likelihood gives parameters whose predictions overflow.
    predicted = np.concatenate(
        [p_alive(fit, x, t_x, big_t), expected_purchases(fit, WEEKS_12_MONTHS, x, t_x, big_t)]
    )
    if not np.isfinite(predicted).all():
        raise ModelFitError(
            f"{name} fit diverged (r={fit.r:.3g}, alpha={fit.alpha:.3g}, a={fit.a:.3g},"
            f" b={fit.b:.3g}): its predictions are not finite"
        )
    return fit


def gamma_gamma_log_likelihood(params, x, m_x, distinct=None) -> np.ndarray:
    """Per-client Gamma-Gamma log-likelihood of mean spend m_x over x repeat purchases
    (``distinct``: ``distinct_values(x)`` when the caller has it)."""
    p, q, gamma = params
    px = p * x
    # As in purchase_log_likelihood: the gamma functions once per distinct x.
    ((x_values, x_at),) = distinct if distinct is not None else distinct_values(x)
    return (
        (special.gammaln(p * x_values + q) - special.gammaln(p * x_values) - special.gammaln(q))[
            x_at
        ]
        + q * np.log(gamma)
        + (px - 1) * np.log(m_x)
        + px * np.log(x)
        - (px + q) * np.log(gamma + x * m_x)
    )


def fit_gamma_gamma(x, monetary_value) -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma parameters over clients with repeat purchases and spend."""
    x, m_x = np.asarray(x, dtype=float), np.asarray(monetary_value, dtype=float)
    usable = (x > 0) & (m_x > 0) & np.isfinite(m_x)
    x, m_x = x[usable], m_x[usable]
    if len(x) < MIN_REPEAT_CLIENTS_TO_FIT:
        raise ModelFitError(
            f"Gamma-Gamma needs at least {MIN_REPEAT_CLIENTS_TO_FIT} clients with repeat "
            f"purchases of positive value, got {len(x)}"
        )
    if np.ptp(m_x) == 0:
        raise ModelFitError("Gamma-Gamma cannot be fitted: every client spends exactly the same")
    distinct = distinct_values(x)
    params = _fit_positive(
        lambda p: -gamma_gamma_log_likelihood(p, x, m_x, distinct).sum() / len(x),
        np.array([1.0, 2.0, float(np.mean(m_x))]),
    )
    if params[1] <= 1:
        raise ModelFitError(f"Gamma-Gamma q = {params[1]:.3f} <= 1: expected spend is undefined")
    total = float(gamma_gamma_log_likelihood(params, x, m_x, distinct).sum())
    return GammaGammaFit(
        *(float(value) for value in params), log_likelihood=total, n_clients=len(x)
    )


def _alive_odds(fit: PurchaseFit, x, t_x, big_t) -> np.ndarray:
    """P(dropped out) / P(alive) at T: a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x) for BG/NBD (FHL
    eq. 10 and 13; 0 when x = 0, where BG/NBD cannot have dropped out), a/(b+x) (...)^(r+x) for
    MBG/NBD."""
    shift = 0 if fit.model == "mbg_nbd" else 1
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_odds = (
            np.log(fit.a)
            - np.log(np.maximum(fit.b + x - shift, 1e-12))
            + (fit.r + x) * (np.log(fit.alpha + big_t) - np.log(fit.alpha + t_x))
        )
    odds = np.exp(np.minimum(log_odds, 700))
    return odds if fit.model == "mbg_nbd" else np.where(x > 0, odds, 0.0)


def p_alive(fit: PurchaseFit, x, t_x, big_t) -> np.ndarray:
    """Probability the client is still active at T (FHL 2005 eq. 13; Batislam et al. eq. 13).
    BG/NBD gives 1 to every client without a repeat purchase, however long ago it bought."""
    x, t_x, big_t = (np.asarray(values, dtype=float) for values in (x, t_x, big_t))
    return 1.0 / (1.0 + _alive_odds(fit, x, t_x, big_t))


def expected_purchases(fit: PurchaseFit, t: float, x, t_x, big_t) -> np.ndarray:
    """Expected purchases in the next t weeks given x, t_x and T (FHL 2005 eq. 10; for MBG/NBD
    the same with b + 1 for b, as the posterior of p given alive is Beta(a, b + x + 1))."""
    x, t_x, big_t = (np.asarray(values, dtype=float) for values in (x, t_x, big_t))
    if t <= 0:
        return np.zeros_like(x)
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    if fit.model == "mbg_nbd":
        b = b + 1
    # a = 1 and a + b = 1 are removable singularities of eq. 10 (0/0); a step off them changes
    # the result by less than the fit's own precision.
    if abs(a - 1) < SINGULARITY_STEP:
        a = 1 + SINGULARITY_STEP
    if abs(a + b - 1) < SINGULARITY_STEP:
        b = b + 2 * SINGULARITY_STEP
    hypergeometric = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + big_t + t))
    numerator = (a + b + x - 1) / (a - 1) * (1 - _silent_for(fit, t, x, big_t) * hypergeometric)
    expected = numerator / (1 + _alive_odds(fit, x, t_x, big_t))
    return np.where(np.isfinite(expected), np.maximum(expected, 0.0), np.nan)


def _silent_for(fit: PurchaseFit, t: float, x, big_t) -> np.ndarray:
    """P(no purchase in the next t weeks | alive at T): the purchase rate's posterior given
    alive is Gamma(r + x, alpha + T), and a client can only drop out right after a purchase."""
    return np.exp((fit.r + x) * (np.log(fit.alpha + big_t) - np.log(fit.alpha + big_t + t)))


def p_no_purchase(fit: PurchaseFit, t: float, x, t_x, big_t) -> np.ndarray:
    """Probability of no purchase in the next t weeks: dropped out, or alive and silent."""
    x, t_x, big_t = (np.asarray(values, dtype=float) for values in (x, t_x, big_t))
    alive = p_alive(fit, x, t_x, big_t)
    return 1 - alive + alive * _silent_for(fit, t, x, big_t)


def gamma_gamma_expected_spend(fit: GammaGammaFit, x, monetary_value) -> np.ndarray:
    """Conditional expected spend per purchase; the population mean for clients without repeats."""
    x, m_x = np.asarray(x, dtype=float), np.asarray(monetary_value, dtype=float)
    population_mean = fit.p * fit.gamma / (fit.q - 1)
    weight = fit.p * x / (fit.p * x + fit.q - 1)
    return np.where(x > 0, (1 - weight) * population_mean + weight * m_x, population_mean)


def discounted_clv(expected_by_week, spend, annual_discount_rate: float) -> np.ndarray:
    """12-month CLV: each month's expected purchases x spend, discounted monthly.

    ``expected_by_week(t)`` gives cumulative expected purchases up to t weeks; the monthly rate
    is the annual rate compounded to a month, (1 + annual)^(1/12) - 1.
    """
    monthly_rate = (1 + annual_discount_rate) ** (1 / 12) - 1
    value, previous = 0.0, expected_by_week(0.0)
    for month in range(1, 13):
        cumulative = expected_by_week(month * WEEKS_PER_MONTH)
        value = value + (cumulative - previous) * spend / (1 + monthly_rate) ** month
        previous = cumulative
    return value


def _metric_rows(model_name: str, values: dict, status: int, message: str | None) -> list[dict]:
    rows = [{"metric_name": name, "metric_value": float(value)} for name, value in values.items()]
    rows.append({"metric_name": "fit_status", "metric_value": float(status), "message": message})
    return [{"model_name": model_name, "message": None} | row for row in rows]


def _summary_arrays(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(
        summary[column].to_numpy(float) for column in ("frequency", "recency_weeks", "tenure_weeks")
    )


def compare_on_holdout(invoices: pd.DataFrame, as_of_date, holdout_days: int):
    """Fit each purchase model on the invoices before ``as_of - holdout_days`` (calibration)
    and measure it on the holdout that follows, as Fader & Hardie validate BG/NBD: the mean
    squared error of each client's expected against actual purchase days in the holdout, and
    the log loss of its probability of buying nothing there.

    Returns the selected model (None when none could be measured), per model its holdout
    metrics or the ``reason`` it could not be fitted, and per fitted model its P(no purchase in
    the holdout) for each calibration client. The lower squared error wins; a tie goes to
    BG/NBD, listed first.
    """
    return _compare_on_holdout(invoice_arrays(invoices), as_of_date, holdout_days)


def _compare_on_holdout(arrays: InvoiceArrays, as_of_date, holdout_days: int):
    as_of = day_numbers(as_of_date)
    cutoff = as_of - holdout_days
    days = arrays.day
    calibration = days < cutoff
    if not calibration.any():
        reason = f"no purchases before the holdout cutoff {_date(cutoff)}"
        return None, {model: {"reason": reason} for model in PURCHASE_MODELS}, {}
    summary = _repeat_purchase_summary(
        InvoiceArrays(
            arrays.client[calibration],
            arrays.client_keys,
            days[calibration],
            arrays.value[calibration],
        ),
        np.int64(cutoff).astype("datetime64[D]"),
    )
    # Purchase days per client in the holdout, for each calibration client (0 without any).
    in_holdout = (days >= cutoff) & (days < as_of)
    bought = pd.DataFrame(
        {"client": arrays.client[in_holdout], "day": days[in_holdout]}
    ).drop_duplicates()
    actual = np.bincount(bought["client"], minlength=len(arrays.client_keys)).astype(float)[
        pd.Index(arrays.client_keys).get_indexer(summary["client_key"])
    ]
    x, t_x, big_t = _summary_arrays(summary)
    weeks = holdout_days / DAYS_PER_WEEK
    results, predictions = {}, {}
    for model in PURCHASE_MODELS:
        try:
            fit = fit_purchase_model(x, t_x, big_t, model)
        except ModelFitError as error:
            results[model] = {"reason": str(error)}
            continue
        silent = np.clip(p_no_purchase(fit, weeks, x, t_x, big_t), 1e-12, 1 - 1e-12)
        predictions[model] = summary[["client_key"]].assign(holdout_p_no_purchase=silent)
        results[model] = {
            "holdout_days": holdout_days,
            "holdout_clients": len(x),
            "holdout_mean_squared_error": float(
                np.mean((expected_purchases(fit, weeks, x, t_x, big_t) - actual) ** 2)
            ),
            "holdout_log_loss": float(
                -np.mean(np.where(actual == 0, np.log(silent), np.log1p(-silent)))
            ),
        }
    errors = {
        model: result["holdout_mean_squared_error"]
        for model, result in results.items()
        if np.isfinite(result.get("holdout_mean_squared_error", np.nan))
    }
    return min(errors, key=errors.get, default=None), results, predictions


def _date(day_number) -> str:
    return str(np.int64(day_number).astype("datetime64[D]"))


def score_clv(
    invoices: pd.DataFrame,
    as_of_date,
    annual_discount_rate: float = 0.10,
    holdout_days: int = 90,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-client CLV scores and the fitted parameters (model_name, metric_name, metric_value,
    message).

    BG/NBD and MBG/NBD are both fitted as of the as-of date (the BG/NBD rows reproduce the
    published CDNOW figures); the one that fits the last ``holdout_days`` better
    (``compare_on_holdout``) drives the expected purchases and CLV. p_alive always comes from
    MBG/NBD, because BG/NBD's P(alive) is 1 for every client who bought once, however long ago.
    Fallbacks when a model cannot be fitted, named in clv_method:

    - ``fallback_rate`` (no purchase model): p_alive unknown (NULL); expected purchases = the
      client's own repeat-purchase rate x / T times the horizon.
    - ``fallback_mean`` (Gamma-Gamma): expected spend = the client's mean purchase-day value.
    """
    # Sorted first so float sums, and hence the fit, do not depend on the order rows arrive in.
    invoices = invoices[invoices["client_key"].notna()]
    arrays = invoice_arrays(invoices)
    # Text keys order as their text does, so the codes rank the first sort column; the arrays
    # are put in that order (the frame itself is not read again).
    text_keys = pd.api.types.infer_dtype(invoices["client_key"], skipna=False) == "string"
    order = sort_order(
        invoices,
        ["client_key", "invoice_date", "invoice_value"],
        arrays.client if text_keys else None,
    )
    arrays = InvoiceArrays(
        arrays.client[order], arrays.client_keys, arrays.day[order], arrays.value[order]
    )
    summary = _repeat_purchase_summary(arrays, as_of_date)
    x, t_x, big_t = _summary_arrays(summary)
    selected, holdout, holdout_predictions = _compare_on_holdout(arrays, as_of_date, holdout_days)
    fits, metrics = {}, []
    for model in PURCHASE_MODELS:
        try:
            fits[model] = fit_purchase_model(x, t_x, big_t, model)
        except ModelFitError as error:
            warnings.warn(f"{MODEL_LABELS[model]} not fitted: {error}", stacklevel=2)
            metrics += _metric_rows(model, {"n_clients": len(x)}, 0, str(error))
    # The holdout's choice when it could be made and fitted now, else whichever model fitted.
    drives = next(
        (model for model in (selected, *PURCHASE_MODELS) if model in fits), "fallback_rate"
    )
    for model, fit in fits.items():
        values = {
            "r": fit.r,
            "alpha": fit.alpha,
            "a": fit.a,
            "b": fit.b,
            "log_likelihood": fit.log_likelihood,
            "n_clients": fit.n_clients,
        }
        metrics += _metric_rows(model, values, 1, None)
    for model in PURCHASE_MODELS:
        reason = holdout[model].get("reason")
        for name, value in holdout[model].items():
            if name != "reason":
                metrics.append(_metric_row(model, name, value))
        metrics.append(_metric_row(model, "holdout_fit_status", reason is None, reason))
        why = None
        if model == drives and selected is None:
            why = "chosen without a holdout comparison (see holdout_fit_status)"
        elif model == drives and drives != selected:
            why = f"{MODEL_LABELS[selected]}, chosen on the holdout, could not be fitted"
        metrics.append(_metric_row(model, "drives_expected_purchases", model == drives, why))
        metrics.append(_metric_row(model, "drives_p_alive", model == "mbg_nbd" and model in fits))
    # The churn model validates the purchase model on these holdout probabilities and scores
    # with p_no_purchase_horizon: both must come from the model that drives, or neither.
    if drives == selected:
        holdout_predictions = holdout_predictions[drives]
    else:
        holdout_predictions = pd.DataFrame(
            {"client_key": pd.Series(dtype=str), "holdout_p_no_purchase": pd.Series(dtype=float)}
        )

    if drives in fits:
        fit = fits[drives]

        def expected_by_week(weeks):
            return expected_purchases(fit, weeks, x, t_x, big_t)

        no_purchase = p_no_purchase(fit, holdout_days / DAYS_PER_WEEK, x, t_x, big_t)
    else:
        warnings.warn(
            "no purchase model fitted, using the client's own purchase rate", stacklevel=2
        )
        rate = np.divide(x, big_t, out=np.zeros_like(x), where=big_t > 0)

        def expected_by_week(weeks):
            return rate * weeks

        no_purchase = np.full_like(x, np.nan)
    alive = (
        p_alive(fits["mbg_nbd"], x, t_x, big_t) if "mbg_nbd" in fits else np.full_like(x, np.nan)
    )

    try:
        spend_fit = fit_gamma_gamma(x, summary["monetary_value"])
        spend = gamma_gamma_expected_spend(spend_fit, x, summary["monetary_value"])
        spend_method = "gamma_gamma"
        metrics += _metric_rows(
            "gamma_gamma",
            {
                "p": spend_fit.p,
                "q": spend_fit.q,
                "gamma": spend_fit.gamma,
                "log_likelihood": spend_fit.log_likelihood,
                "n_clients": spend_fit.n_clients,
            },
            1,
            None,
        )
    except ModelFitError as error:
        warnings.warn(
            f"Gamma-Gamma not fitted, using each client's mean spend: {error}", stacklevel=2
        )
        spend = summary["mean_day_value"].to_numpy(float)
        spend_method = "fallback_mean"
        metrics += _metric_rows("gamma_gamma", {"n_clients": int((x > 0).sum())}, 0, str(error))

    scores = summary.assign(
        p_alive=alive,
        expected_purchases_90d=expected_by_week(WEEKS_90_DAYS),
        expected_purchases_12m=expected_by_week(WEEKS_12_MONTHS),
        expected_avg_spend=spend,
        clv_12m=discounted_clv(expected_by_week, spend, annual_discount_rate),
        clv_method=f"{drives}+{spend_method}",
        p_no_purchase_horizon=no_purchase,
    ).merge(holdout_predictions, on="client_key", how="left")[SCORE_COLUMNS]
    scores["holdout_p_no_purchase"] = scores["holdout_p_no_purchase"].astype(float)
    return scores, pd.DataFrame(
        metrics, columns=["model_name", "metric_name", "metric_value", "message"]
    )


def _metric_row(model_name: str, name: str, value, message: str | None = None) -> dict:
    return {
        "model_name": model_name,
        "metric_name": name,
        "metric_value": float(value),
        "message": message,
    }


# as_envelope and to_pandas stand in every scoring model: Snowflake runs each model file alone
# as a stored procedure, so the files cannot share a module.
def as_envelope(scores: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """One frame for dbt: client rows and metric rows, told apart by row_type."""
    # A message column of only NULLs would get DuckDB's NULL type; it is text.
    metrics = metrics.astype({"message": "string"})
    return pd.concat(
        [scores.assign(row_type="client"), metrics.assign(row_type="metric")], ignore_index=True
    )


def to_pandas(relation) -> pd.DataFrame:
    """DuckDB relations have .df(), Snowpark DataFrames .to_pandas(); Snowflake upper-cases."""
    frame = relation.to_pandas() if hasattr(relation, "to_pandas") else relation.df()
    frame.columns = [str(column).lower() for column in frame.columns]
    return frame


def for_warehouse(frame: pd.DataFrame, session) -> pd.DataFrame:
    """Snowpark keeps lower-case pandas names as quoted identifiers, which unquoted SQL cannot
    find; upper-case is what Snowflake stores unquoted names as."""
    if type(session).__module__.startswith("snowflake."):
        return frame.rename(columns=str.upper)
    return frame


def model(dbt, session):
    dbt.config(materialized="table", packages=["pandas", "numpy", "scipy"])
    invoices = to_pandas(dbt.ref("int_client_invoices"))
    rfm = to_pandas(dbt.ref("rfm"))
    discount_rate = dbt.config.get("annual_discount_rate")
    holdout_days = dbt.config.get("holdout_days")
    scores, metrics = score_clv(
        invoices, rfm["as_of_date"].max(), float(discount_rate), int(holdout_days)
    )
    return for_warehouse(as_envelope(scores, metrics), session)
