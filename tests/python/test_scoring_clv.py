"""BG/NBD + Gamma-Gamma CLV functions (python_models/scoring/int_client_clv.py).

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


def simulate_bgnbd(n, r, alpha, a, b, weeks, seed):
    """Each client buys at week 0, then at exponential(lambda) gaps; after every repeat purchase
    it drops out with probability p; lambda ~ Gamma(r, alpha), p ~ Beta(a, b)."""
    rng = np.random.default_rng(seed)
    rates, dropouts = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for client in range(n):
        time = rng.exponential(1 / rates[client])
        while time <= weeks:
            x[client], t_x[client] = x[client] + 1, time
            if rng.random() < dropouts[client]:
                break
            time += rng.exponential(1 / rates[client])
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
    fit = clv.fit_bgnbd(*simulate_bgnbd(10000, *truth.values(), weeks=78, seed=7))
    assert fit.r == pytest.approx(truth["r"], rel=0.10)
    assert fit.alpha == pytest.approx(truth["alpha"], rel=0.10)
    assert fit.a == pytest.approx(truth["a"], rel=0.25)
    assert fit.b == pytest.approx(truth["b"], rel=0.25)
    assert fit.a / (fit.a + fit.b) == pytest.approx(0.79 / (0.79 + 2.43), rel=0.10)


def test_gamma_gamma_recovers_known_parameters():
    """Over seeds 0-9 q landed within 6 %, the implied mean spend p gamma / (q - 1) within 3 %;
    p and gamma trade off against each other (up to 37 % apart), so they get a wider band."""
    fit = clv.fit_gamma_gamma(*simulate_gamma_gamma(10000, 6.25, 3.74, 15.44, seed=7))
    assert fit.q == pytest.approx(3.74, rel=0.10)
    assert fit.p == pytest.approx(6.25, rel=0.40)
    assert fit.gamma == pytest.approx(15.44, rel=0.40)
    assert fit.p * fit.gamma / (fit.q - 1) == pytest.approx(6.25 * 15.44 / 2.74, rel=0.03)


def test_bgnbd_log_likelihood_matches_the_closed_form():
    r, alpha, a, b, x, t_x, big_t = 0.5, 3.0, 1.2, 2.5, 3.0, 20.0, 30.0

    def beta(u, v):
        return math.gamma(u) * math.gamma(v) / math.gamma(u + v)

    common = math.gamma(r + x) * alpha**r / math.gamma(r)
    expected = math.log(
        beta(a, b + x) / beta(a, b) * common / (alpha + big_t) ** (r + x)
        + beta(a + 1, b + x - 1) / beta(a, b) * common / (alpha + t_x) ** (r + x)
    )
    actual = clv.bgnbd_log_likelihood((r, alpha, a, b), np.array([x]), t_x, big_t)[0]
    assert actual == pytest.approx(expected, rel=1e-10)


FIT = clv.BgNbdFit(r=0.24, alpha=4.41, a=0.79, b=2.43, log_likelihood=0.0, n_clients=0)


def test_p_alive_is_one_without_repeats_and_falls_with_the_silence_since():
    assert clv.bgnbd_p_alive(FIT, [0], [0], [30])[0] == 1.0
    p_alive = clv.bgnbd_p_alive(FIT, [4, 4, 4], [29, 20, 5], [30, 30, 30])
    assert p_alive[0] > p_alive[1] > p_alive[2] > 0


def test_expected_purchases_grow_with_the_horizon():
    horizons = [clv.bgnbd_expected_purchases(FIT, t, [3], [25], [30])[0] for t in (0, 4, 13, 52)]
    assert horizons[0] == 0
    assert horizons == sorted(horizons) and horizons[-1] > horizons[1] > 0


def test_expected_purchases_are_continuous_through_the_removable_singularities():
    at_one = clv.BgNbdFit(r=0.24, alpha=4.41, a=1.0, b=2.43, log_likelihood=0.0, n_clients=0)
    near_one = at_one._replace(a=1.001)
    args = (52, [0, 3, 30], [0, 25, 50], [30, 30, 52])
    exact = clv.bgnbd_expected_purchases(at_one, *args)
    assert np.isfinite(exact).all()
    np.testing.assert_allclose(exact, clv.bgnbd_expected_purchases(near_one, *args), rtol=1e-2)
    summed_to_one = at_one._replace(a=0.4, b=0.6)
    assert np.isfinite(clv.bgnbd_expected_purchases(summed_to_one, *args)).all()


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
    assert summary.loc["c1", "tenure_weeks"] == pytest.approx(366 / 7)
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
    assert (scores["clv_method"] == "bg_nbd+gamma_gamma").all()
    assert scores["p_alive"].between(0, 1).all()
    assert (scores["expected_purchases_12m"] >= scores["expected_purchases_90d"]).all()
    assert (scores["clv_12m"] >= 0).all()
    fitted = metrics.set_index(["model_name", "metric_name"])["metric_value"]
    assert {"r", "alpha", "a", "b", "log_likelihood"} <= set(fitted.loc["bg_nbd"].index)
    assert {"p", "q", "gamma", "log_likelihood"} <= set(fitted.loc["gamma_gamma"].index)
    again, _ = clv.score_clv(invoices.sample(frac=1, random_state=5), AS_OF)
    pd.testing.assert_frame_equal(scores, again)


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
    # Parameters a flat likelihood once led the optimiser to (all clients identical, scipy 1.17).
    diverged = clv.BgNbdFit(
        r=1.4e11, alpha=2.9e12, a=1.6e8, b=1e-8, log_likelihood=-163.1, n_clients=40
    )
    monkeypatch.setattr(clv, "fit_bgnbd", lambda *_: diverged)
    invoices = invoices_from(*simulate_bgnbd(200, 0.24, 4.41, 0.79, 2.43, 52, 3))
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        scores, metrics = clv.score_clv(invoices, AS_OF)
    assert scores["clv_method"].str.startswith("fallback_rate").all()
    assert np.isfinite(scores["clv_12m"]).all()
    status = metrics.set_index(["model_name", "metric_name"]).loc[("bg_nbd", "fit_status")]
    assert status["metric_value"] == 0 and "diverged" in status["message"]
