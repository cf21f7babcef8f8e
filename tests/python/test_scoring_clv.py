"""Purchase models (BG/NBD, MBG/NBD) and Gamma-Gamma CLV (python_models/scoring/int_client_clv.py).

The parameter-recovery tests simulate the models' own generative stories from known parameters
(the CDNOW estimates of Fader, Hardie & Lee) and fit them back.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import load_python_file

clv = load_python_file("python_models/scoring/int_client_clv.py")

AS_OF = "2025-01-01"


def simulate_bgnbd(n, r, alpha, a, b, weeks, seed, holdout_weeks=0.0, modified=False):
    """Each client buys at week 0, then at exponential(lambda) gaps; after every repeat purchase
    (MBG/NBD: after every purchase, the first included) it drops out with probability p;
    lambda ~ Gamma(r, alpha), p ~ Beta(a, b). Returns x, t_x, T up to ``weeks`` and, with a
    holdout, its purchases in the ``holdout_weeks`` after it."""
    rng = np.random.default_rng(seed)
    rates, dropouts = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    x, t_x, later = np.zeros(n), np.zeros(n), np.zeros(n)
    for client in range(n):
        if modified and rng.random() < dropouts[client]:
            continue
        time = rng.exponential(1 / rates[client])
        while time <= weeks + holdout_weeks:
            if time > weeks:
                later[client] += 1
            else:
                x[client], t_x[client] = x[client] + 1, time
            if rng.random() < dropouts[client]:
                break
            time += rng.exponential(1 / rates[client])
    if holdout_weeks:
        return x, t_x, np.full(n, float(weeks)), later
    return x, t_x, np.full(n, float(weeks))


def simulate_gamma_gamma(n, p, q, gamma, seed):
    """Each client's spend per purchase ~ Gamma(p, nu), nu ~ Gamma(q, gamma)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 10, n)
    scales = 1 / rng.gamma(q, 1 / gamma, n)
    means = np.array([rng.gamma(p, scales[i], x[i]).mean() for i in range(n)])
    return x, means


def test_bgnbd_recovers_known_parameters():
    """Over seeds 0-9 (10,000 clients, 78 weeks) r and alpha landed within 8 %, a and b within
    23 % (they trade off against each other), the mean dropout a / (a + b) within 8 %."""
    truth = {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43}
    fit = clv.fit_purchase_model(*simulate_bgnbd(10000, *truth.values(), weeks=78, seed=7))
    assert fit.model == "bg_nbd"
    assert fit.r == pytest.approx(truth["r"], rel=0.10)
    assert fit.alpha == pytest.approx(truth["alpha"], rel=0.10)
    assert fit.a == pytest.approx(truth["a"], rel=0.25)
    assert fit.b == pytest.approx(truth["b"], rel=0.25)
    assert fit.a / (fit.a + fit.b) == pytest.approx(0.79 / (0.79 + 2.43), rel=0.10)


def test_mbgnbd_recovers_known_parameters():
    """MBG/NBD's own story (dropout possible right after the first purchase), fitted back."""
    truth = {"r": 0.53, "alpha": 6.18, "a": 0.89, "b": 1.61}
    data = simulate_bgnbd(10000, *truth.values(), weeks=78, seed=7, modified=True)
    fit = clv.fit_purchase_model(*data, model="mbg_nbd")
    assert fit.model == "mbg_nbd"
    assert fit.r == pytest.approx(truth["r"], rel=0.15)
    assert fit.alpha == pytest.approx(truth["alpha"], rel=0.15)
    assert fit.a / (fit.a + fit.b) == pytest.approx(0.89 / (0.89 + 1.61), rel=0.10)


def test_gamma_gamma_recovers_known_parameters():
    """Over seeds 0-9 q landed within 6 %, the implied mean spend p gamma / (q - 1) within 3 %;
    p and gamma trade off against each other (up to 37 % apart), so they get a wider band."""
    fit = clv.fit_gamma_gamma(*simulate_gamma_gamma(10000, 6.25, 3.74, 15.44, seed=7))
    assert fit.q == pytest.approx(3.74, rel=0.10)
    assert fit.p == pytest.approx(6.25, rel=0.40)
    assert fit.gamma == pytest.approx(15.44, rel=0.40)
    assert fit.p * fit.gamma / (fit.q - 1) == pytest.approx(6.25 * 15.44 / 2.74, rel=0.03)


@pytest.mark.parametrize("model", ["bg_nbd", "mbg_nbd"])
@pytest.mark.parametrize("x, t_x", [(3.0, 20.0), (0.0, 0.0)])
def test_log_likelihood_matches_the_closed_form(model, x, t_x):
    """FHL 2005 eq. 6 (BG/NBD) and Batislam et al. 2007 (MBG/NBD), written out with gamma
    functions; BG/NBD has no dropped-out term without a repeat purchase, MBG/NBD has."""
    r, alpha, a, b, big_t = 0.5, 3.0, 1.2, 2.5, 30.0

    def beta(u, v):
        return math.gamma(u) * math.gamma(v) / math.gamma(u + v)

    common = math.gamma(r + x) * alpha**r / math.gamma(r)
    if model == "bg_nbd":
        alive = beta(a, b + x) / beta(a, b)
        dropped = beta(a + 1, b + x - 1) / beta(a, b) if x > 0 else 0.0
    else:
        alive = beta(a, b + x + 1) / beta(a, b)
        dropped = beta(a + 1, b + x) / beta(a, b)
    expected = math.log(
        alive * common / (alpha + big_t) ** (r + x) + dropped * common / (alpha + t_x) ** (r + x)
    )
    actual = clv.purchase_log_likelihood((r, alpha, a, b), np.array([x]), t_x, big_t, model)[0]
    assert actual == pytest.approx(expected, rel=1e-10)


FIT = clv.PurchaseFit("bg_nbd", r=0.24, alpha=4.41, a=0.79, b=2.43, log_likelihood=0.0, n_clients=0)
MBG_FIT = FIT._replace(model="mbg_nbd", r=0.53, alpha=6.18, a=0.89, b=1.61)


def test_p_alive_is_one_without_repeats_and_falls_with_the_silence_since():
    assert clv.p_alive(FIT, [0], [0], [30])[0] == 1.0
    p_alive = clv.p_alive(FIT, [4, 4, 4], [29, 20, 5], [30, 30, 30])
    assert p_alive[0] > p_alive[1] > p_alive[2] > 0


def test_mbgnbd_p_alive_of_a_one_time_buyer_falls_with_its_silence():
    """The defect BG/NBD has by construction: a client who bought once a year ago is not
    certainly alive."""
    silent_for = clv.p_alive(MBG_FIT, [0, 0, 0], [0, 0, 0], [4, 26, 52])
    assert 1 > silent_for[0] > silent_for[1] > silent_for[2] > 0
    assert silent_for[2] < 0.5


@pytest.mark.parametrize("fit", [FIT, MBG_FIT], ids=["bg_nbd", "mbg_nbd"])
def test_p_no_purchase_matches_simulation(fit):
    """With the true parameters, the mean predicted probability of no purchase in a 13-week
    holdout equals the simulated share of clients who bought nothing there (10,000 clients)."""
    x, t_x, big_t, later = simulate_bgnbd(
        10000, fit.r, fit.alpha, fit.a, fit.b, weeks=39, seed=4, holdout_weeks=13,
        modified=fit.model == "mbg_nbd",
    )  # fmt: skip
    bought = x > 0 if fit.model == "bg_nbd" else np.ones_like(x, dtype=bool)
    predicted = clv.p_no_purchase(fit, 13, x, t_x, big_t)
    assert predicted.mean() == pytest.approx((later == 0).mean(), abs=0.015)
    assert np.all((predicted > 0) & (predicted < 1))
    limits = clv.p_no_purchase(fit, 1e-9, x[bought], t_x[bought], big_t[bought])
    np.testing.assert_allclose(limits, 1, atol=1e-6)


@pytest.mark.parametrize("fit", [FIT, MBG_FIT], ids=["bg_nbd", "mbg_nbd"])
def test_expected_purchases_grow_with_the_horizon(fit):
    horizons = [clv.expected_purchases(fit, t, [3], [25], [30])[0] for t in (0, 4, 13, 52)]
    assert horizons[0] == 0
    assert horizons == sorted(horizons) and horizons[-1] > horizons[1] > 0


@pytest.mark.parametrize("fit", [FIT, MBG_FIT], ids=["bg_nbd", "mbg_nbd"])
def test_expected_purchases_match_simulation(fit):
    """With the true parameters, the conditional expectations summed over 10,000 clients equal
    the simulated purchases in a 13-week holdout."""
    x, t_x, big_t, later = simulate_bgnbd(
        10000, fit.r, fit.alpha, fit.a, fit.b, weeks=39, seed=5, holdout_weeks=13,
        modified=fit.model == "mbg_nbd",
    )  # fmt: skip
    expected = clv.expected_purchases(fit, 13, x, t_x, big_t)
    assert expected.sum() == pytest.approx(later.sum(), rel=0.05)


def test_expected_purchases_are_continuous_through_the_removable_singularities():
    at_one = FIT._replace(a=1.0)
    near_one = at_one._replace(a=1.001)
    args = (52, [0, 3, 30], [0, 25, 50], [30, 30, 52])
    exact = clv.expected_purchases(at_one, *args)
    assert np.isfinite(exact).all()
    np.testing.assert_allclose(exact, clv.expected_purchases(near_one, *args), rtol=1e-2)
    summed_to_one = at_one._replace(a=0.4, b=0.6)
    assert np.isfinite(clv.expected_purchases(summed_to_one, *args)).all()


def test_clv_discounting_lowers_value():
    def expected(weeks):
        return np.array([weeks / 10])

    undiscounted = clv.discounted_clv(expected, np.array([50.0]), 0.0)[0]
    assert undiscounted == pytest.approx(50 * clv.WEEKS_12_MONTHS / 10)
    assert clv.discounted_clv(expected, np.array([50.0]), 0.10)[0] < undiscounted


def test_summary_collapses_same_day_purchases_and_measures_weeks():
    invoices = pd.DataFrame(
        {
            "client_key": ["c1", "c1", "c1", "c1", "c2"],
            "invoice_date": ["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-29", "2024-12-04"],
            "invoice_value": [10, 5, 20, 40, 7],
        }
    )
    summary = clv.repeat_purchase_summary(invoices, AS_OF).set_index("client_key")
    assert summary.loc["c1", "frequency"] == 2
    assert summary.loc["c1", "recency_weeks"] == 4
    # To the last day observed, 2024-12-31: Fader & Hardie's T.
    assert summary.loc["c1", "tenure_weeks"] == pytest.approx(365 / 7)
    assert summary.loc["c1", "monetary_value"] == 30
    assert summary.loc["c2", "frequency"] == 0
    assert summary.loc["c2", "monetary_value"] == 0


def test_summary_rejects_rows_from_after_the_as_of_date():
    invoices = pd.DataFrame(
        {"client_key": ["c1"], "invoice_date": ["2025-01-01"], "invoice_value": [1.0]}
    )
    with pytest.raises(ValueError, match="on or after the as-of date"):
        clv.repeat_purchase_summary(invoices, AS_OF)


def invoices_from(x, t_x, big_t, seed=3) -> pd.DataFrame:
    """Invoices reproducing simulated (x, t_x, T) at day resolution, gamma-distributed values."""
    rng = np.random.default_rng(seed)
    as_of = pd.Timestamp(AS_OF)
    rows = []
    for client, (repeats, last, tenure) in enumerate(zip(x, t_x, big_t, strict=True)):
        first = as_of - pd.Timedelta(days=math.ceil(tenure * 7))
        days = sorted({0, round(last * 7), *rng.integers(1, max(round(last * 7), 2), int(repeats))})
        for day in days[: int(repeats) + 1]:
            rows.append((f"c{client:05d}", first + pd.Timedelta(days=day), rng.gamma(4, 10)))
    return pd.DataFrame(rows, columns=["client_key", "invoice_date", "invoice_value"])


def test_scores_on_simulated_clients_are_consistent():
    invoices = invoices_from(*simulate_bgnbd(600, 0.24, 4.41, 0.79, 2.43, weeks=52, seed=1))
    scores, metrics = clv.score_clv(invoices, AS_OF)
    fitted = metrics.set_index(["model_name", "metric_name"])["metric_value"]
    drives = [
        model for model in ("bg_nbd", "mbg_nbd") if fitted[model, "drives_expected_purchases"]
    ]
    assert len(drives) == 1
    assert (scores["clv_method"] == f"{drives[0]}+gamma_gamma").all()
    assert fitted["mbg_nbd", "drives_p_alive"] == 1 and fitted["bg_nbd", "drives_p_alive"] == 0
    assert scores["p_alive"].between(0, 1).all()
    assert scores["p_no_purchase_horizon"].between(0, 1).all()
    assert (scores["expected_purchases_12m"] >= scores["expected_purchases_90d"]).all()
    assert (scores["clv_12m"] >= 0).all()
    for model in ("bg_nbd", "mbg_nbd"):
        assert {"r", "alpha", "a", "b", "log_likelihood"} <= set(fitted.loc[model].index)
    assert {"p", "q", "gamma", "log_likelihood"} <= set(fitted.loc["gamma_gamma"].index)
    again, _ = clv.score_clv(invoices.sample(frac=1, random_state=5), AS_OF)
    pd.testing.assert_frame_equal(scores, again)


def test_a_one_time_buyer_silent_for_a_year_is_not_certainly_alive():
    invoices = invoices_from(*simulate_bgnbd(600, 0.24, 4.41, 0.79, 2.43, weeks=104, seed=2))
    one_timer = pd.DataFrame(
        {"client_key": ["lonely"], "invoice_date": ["2023-12-20"], "invoice_value": [25.0]}
    )
    scores, _ = clv.score_clv(pd.concat([invoices, one_timer]), AS_OF)
    lonely = scores.set_index("client_key").loc["lonely"]
    assert lonely["frequency"] == 0
    assert lonely["p_alive"] < 0.9


def test_the_holdout_chooses_the_model_that_predicts_it_better():
    """The holdout is the last holdout_days before the as-of date; both models are fitted on
    the invoices before it, the lower squared error wins, and each model's probability of no
    purchase covers exactly the clients who bought before the holdout. Rows from the as-of date
    on are not read."""
    invoices = invoices_from(
        *simulate_bgnbd(1500, 0.53, 6.18, 2.0, 1.0, weeks=78, seed=6, modified=True)
    )
    later = invoices.head(5).assign(invoice_date=pd.Timestamp(AS_OF) + pd.Timedelta(days=2))
    selected, measured, predictions = clv.compare_on_holdout(
        pd.concat([invoices, later]), AS_OF, 90
    )
    errors = {model: values["holdout_mean_squared_error"] for model, values in measured.items()}
    assert selected == min(errors, key=errors.get)
    assert clv.compare_on_holdout(invoices, AS_OF, 90)[1] == measured
    cutoff = pd.Timestamp(AS_OF) - pd.Timedelta(days=90)
    before = invoices.loc[pd.to_datetime(invoices["invoice_date"]) < cutoff, "client_key"]
    for model in ("bg_nbd", "mbg_nbd"):
        assert set(predictions[model]["client_key"]) == set(before)
        assert predictions[model]["holdout_p_no_purchase"].between(0, 1).all()


def test_the_holdout_comparison_says_why_it_cannot_choose():
    late = pd.DataFrame(
        {"client_key": ["a", "b"], "invoice_date": ["2024-12-01"] * 2, "invoice_value": [5.0, 6.0]}
    )
    selected, measured, predictions = clv.compare_on_holdout(late, AS_OF, 90)
    assert selected is None and predictions == {}
    for model in ("bg_nbd", "mbg_nbd"):
        assert "no purchases before the holdout cutoff 2024-10-03" in measured[model]["reason"]
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        scores, metrics = clv.score_clv(late, AS_OF)
    status = metrics.set_index(["model_name", "metric_name"])
    assert status.loc[("mbg_nbd", "holdout_fit_status"), "metric_value"] == 0
    assert "holdout cutoff" in status.loc[("mbg_nbd", "holdout_fit_status"), "message"]
    # A column of NULLs keeps its type, or DuckDB would store it as type NULL.
    assert scores["holdout_p_no_purchase"].dtype == float


def one_purchase_each(n):
    return pd.DataFrame(
        {
            "client_key": [f"c{i}" for i in range(n)],
            "invoice_date": ["2024-06-01"] * n,
            "invoice_value": [10.0 + i for i in range(n)],
        }
    )


BAD_INPUTS = {
    "no invoices": one_purchase_each(0),
    "one client": one_purchase_each(1),
    "every client buys once": one_purchase_each(50),
    "all clients identical": pd.concat(
        [one_purchase_each(1).assign(invoice_date=d) for d in ("2024-01-01", "2024-06-01")]
    ).pipe(lambda frame: pd.concat([frame.assign(client_key=f"c{i}") for i in range(40)])),
    "zero spend": invoices_from(*simulate_bgnbd(200, 0.24, 4.41, 0.79, 2.43, 52, 2)).assign(
        invoice_value=0.0
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_falls_back_with_a_reason(case):
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        scores, metrics = clv.score_clv(BAD_INPUTS[case], AS_OF)
    assert len(scores) == BAD_INPUTS[case]["client_key"].nunique()
    status = metrics[metrics["metric_name"] == "fit_status"].set_index("model_name")
    failed = status[status["metric_value"] == 0]
    assert len(failed) >= 1, "each case leaves at least one model unfittable"
    assert failed["message"].str.len().gt(10).all()
    assert scores["clv_method"].str.contains("fallback").all()
    assert np.isfinite(scores["clv_12m"]).all()


def test_a_diverged_fit_falls_back_instead_of_scoring_nan(monkeypatch):
    """Parameters a flat likelihood once led the optimiser to (all clients identical, scipy
    1.17): their predictions overflow, so the fit is refused and the model falls back."""
    diverged = np.array([1.4e11, 2.9e12, 1.6e8, 1e-8])
    fit_spend = clv._fit_positive
    monkeypatch.setattr(
        clv,
        "_fit_positive",
        lambda objective, start: diverged if len(start) == 4 else fit_spend(objective, start),
    )
    invoices = invoices_from(*simulate_bgnbd(200, 0.24, 4.41, 0.79, 2.43, 52, 3))
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        scores, metrics = clv.score_clv(invoices, AS_OF)
    assert scores["clv_method"].str.startswith("fallback_rate").all()
    assert np.isfinite(scores["clv_12m"]).all()
    assert scores["p_alive"].isna().all()
    status = metrics.set_index(["model_name", "metric_name"])
    for model in ("bg_nbd", "mbg_nbd"):
        assert status.loc[(model, "fit_status"), "metric_value"] == 0
        assert "diverged" in status.loc[(model, "fit_status"), "message"]


def test_log_likelihoods_from_precomputed_distinct_values_are_the_same_numbers():
    """A fit computes the distinct x, t_x and T once (distinct_values) and passes them to every
    evaluation: bit for bit what each evaluation would compute itself."""
    x, t_x, big_t = simulate_bgnbd(500, 0.24, 4.41, 0.79, 2.43, weeks=52, seed=4)
    params = (0.3, 5.0, 0.8, 2.5)
    for model in ("bg_nbd", "mbg_nbd"):
        distinct = clv.distinct_values(x, t_x, big_t)
        assert np.array_equal(
            clv.purchase_log_likelihood(params, x, t_x, big_t, model, distinct),
            clv.purchase_log_likelihood(params, x, t_x, big_t, model),
        )
    repeat = x > 0
    spend = 1 + t_x[repeat]
    assert np.array_equal(
        clv.gamma_gamma_log_likelihood(
            (2.0, 3.0, 10.0), x[repeat], spend, clv.distinct_values(x[repeat])
        ),
        clv.gamma_gamma_log_likelihood((2.0, 3.0, 10.0), x[repeat], spend),
    )


def test_scores_do_not_depend_on_key_type_or_row_order():
    """Keys that are not text are ranked as sort_values ranks them before they become text."""
    invoices = invoices_from(*simulate_bgnbd(300, 0.24, 4.41, 0.79, 2.43, weeks=52, seed=6))
    numbered = invoices.assign(client_key=invoices["client_key"].str[1:].astype(int))
    scores, metrics = clv.score_clv(numbered, AS_OF)
    again, metrics_again = clv.score_clv(numbered.sample(frac=1, random_state=2), AS_OF)
    pd.testing.assert_frame_equal(scores, again)
    pd.testing.assert_frame_equal(metrics, metrics_again)
    text, _ = clv.score_clv(invoices, AS_OF)
    assert sorted(scores["client_key"]) == sorted(
        text["client_key"].str[1:].astype(int).astype(str)
    )
