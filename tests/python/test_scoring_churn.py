"""Churn model functions (python_models/scoring/int_client_churn.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import load_python_file

churn = load_python_file("python_models/scoring/int_client_churn.py")

AS_OF = pd.Timestamp("2025-01-01")
START = pd.Timestamp("2023-01-01")


def synthetic_invoices(clients: int = 1500, seed: int = 11) -> pd.DataFrame:
    """Clients buy at Poisson times until they lapse (half of them at a uniform random day)."""
    rng = np.random.default_rng(seed)
    span = (AS_OF - START).days
    rows = []
    for client in range(clients):
        rate = rng.gamma(2.0, 1 / 60)  # purchases per day, about one a month on average
        lapse = rng.uniform(0, span) if rng.random() < 0.5 else span
        day = rng.exponential(1 / rate)
        number = 0
        while day < lapse:
            number += 1
            rows.append(
                {
                    "client_key": f"c{client:05d}",
                    "invoice_no": f"{client}-{number}",
                    "invoice_date": START + pd.Timedelta(days=int(day)),
                    "invoice_value": round(rng.gamma(3, 20), 2),
                    "product_count": int(rng.integers(1, 8)),
                }
            )
            day += rng.exponential(1 / rate)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def invoices() -> pd.DataFrame:
    return synthetic_invoices()


def test_training_features_never_read_rows_from_after_the_cutoff(invoices):
    cutoff = AS_OF - pd.Timedelta(days=90)
    features = churn.client_features(invoices, cutoff)
    later = pd.to_datetime(invoices["invoice_date"]) >= cutoff
    assert later.sum() > 100, "the test needs rows after the cutoff to tamper with"
    tampered = invoices.copy()
    tampered.loc[later, "invoice_value"] = 1e9
    tampered.loc[later, "product_count"] = 999
    tampered.loc[later, "client_key"] = "c00000"
    extra = tampered[later].head(50).assign(client_key="newcomer", invoice_no="x")
    tampered = pd.concat([tampered, extra], ignore_index=True).sample(frac=1, random_state=1)
    pd.testing.assert_frame_equal(churn.client_features(tampered, cutoff), features)
    pd.testing.assert_frame_equal(churn.client_features(invoices[~later], cutoff), features)


def test_labels_read_only_the_horizon_after_the_cutoff():
    invoices = pd.DataFrame(
        {
            "client_key": ["kept", "kept", "churned", "churned", "late"],
            "invoice_date": pd.to_datetime(
                ["2024-06-01", "2024-06-10", "2024-05-01", "2024-05-31", "2024-08-30"]
            ),
        }
    )
    clients = pd.Series(["kept", "churned", "late"])
    labels = churn.churn_labels(invoices, clients, "2024-06-01", horizon_days=90)
    # "late" buys on day 90 after the cutoff: outside [cutoff, cutoff + 90 days).
    assert labels.tolist() == [0, 1, 1]


def test_features_hand_example():
    invoices = pd.DataFrame(
        {
            "client_key": ["c1", "c1", "c1", "c1"],
            "invoice_no": ["1", "2", "3", "4"],
            "invoice_date": pd.to_datetime(
                ["2024-10-01", "2024-10-01", "2024-11-30", "2024-12-20"]
            ),
            "invoice_value": [10.0, 30.0, 20.0, 40.0],
            "product_count": [1, 3, 2, 2],
        }
    )
    features = churn.client_features(invoices, AS_OF).iloc[0]
    assert features["recency_days"] == 12
    assert features["tenure_days"] == 92
    assert features["frequency"] == 4
    assert features["purchase_days"] == 3
    assert features["monetary"] == 100
    assert features["mean_days_between"] == 40  # gaps of 60 and 20 days
    assert features["spend_last_90_days"] == 60
    assert features["spend_previous_90_days"] == 40


def candidate_metrics(metrics: pd.DataFrame) -> pd.DataFrame:
    candidates = metrics[metrics["model_name"].str.startswith("churn_")]
    return candidates.pivot(index="model_name", columns="metric_name", values="metric_value")


def test_the_winner_learns_a_real_signal_and_beats_recency(invoices):
    scores, metrics = churn.score_churn(invoices, AS_OF, horizon_days=90)
    measured = metrics[metrics["model_name"] == "churn"].set_index("metric_name")["metric_value"]
    assert measured["fit_status"] == 1
    assert measured["roc_auc"] > 0.75
    assert measured["brier_score"] < measured["brier_score_base_rate"]
    candidates = candidate_metrics(metrics)
    assert set(candidates.index) == {f"churn_{name}" for name in churn.CANDIDATES}
    winner = candidates[candidates["selected"] == 1]
    assert len(winner) == 1
    assert (scores["churn_method"] == winner.index[0].removeprefix("churn_")).all()
    assert measured["roc_auc"] == winner["validation_roc_auc"].iloc[0]
    assert measured["roc_auc"] >= candidates.loc["churn_recency", "validation_roc_auc"]
    # Without int_client_clv's probabilities the purchase model is not a candidate, and says so.
    assert candidates.loc["churn_purchase_model", "fit_status"] == 0
    assert scores["churn_probability"].between(0, 1).all()
    assert scores["client_key"].is_unique
    assert len(scores) == invoices["client_key"].nunique()


def test_the_purchase_model_competes_with_its_own_holdout_fit(invoices):
    purchase_model = clv_probabilities(invoices)
    scores, metrics = churn.score_churn(invoices, AS_OF, 90, purchase_model)
    candidates = candidate_metrics(metrics)
    assert (candidates["fit_status"] == 1).all()
    assert candidates["validation_roc_auc"].between(0.5, 1).all()
    if scores["churn_method"].iloc[0] == "purchase_model":
        expected = purchase_model.set_index("client_key")["p_no_purchase_horizon"]
        np.testing.assert_allclose(
            scores["churn_probability"], expected.loc[scores["client_key"]].to_numpy()
        )


def clv_probabilities(invoices: pd.DataFrame, holdout_days: int = 90) -> pd.DataFrame:
    clv = load_python_file("python_models/scoring/int_client_clv.py")
    clv_scores, _ = clv.score_clv(invoices, AS_OF, holdout_days=holdout_days)
    return clv_scores[["client_key", "holdout_p_no_purchase", "p_no_purchase_horizon"]]


def purchase_model_status(metrics: pd.DataFrame) -> pd.Series:
    return metrics.set_index(["model_name", "metric_name"]).loc[
        ("churn_purchase_model", "fit_status")
    ]


def test_a_purchase_model_that_cannot_score_today_is_not_a_candidate(invoices):
    """Validated on its holdout fit but without a fit as of the as-of date (int_client_clv fell
    back), it would win and score every client NULL."""
    unscored = clv_probabilities(invoices).assign(p_no_purchase_horizon=np.nan)
    scores, metrics = churn.score_churn(invoices, AS_OF, 90, unscored)
    status = purchase_model_status(metrics)
    assert status["metric_value"] == 0 and "did not score every client" in status["message"]
    assert scores["churn_probability"].notna().all()


def test_a_purchase_model_over_another_window_is_not_a_candidate(invoices):
    """Fitted before as_of - 30 days, its probabilities would have seen 60 days of the
    validation labels."""
    _, metrics = churn.score_churn(invoices, AS_OF, 90, clv_probabilities(invoices, 30), 30)
    status = purchase_model_status(metrics)
    assert status["metric_value"] == 0 and "cover 30 days" in status["message"]


def test_client_keys_of_any_type_meet_the_purchase_model(invoices):
    numbered = invoices.assign(client_key=invoices["client_key"].str[1:].astype(int))
    _, metrics = churn.score_churn(numbered, AS_OF, 90, clv_probabilities(numbered))
    assert purchase_model_status(metrics)["metric_value"] == 1


@pytest.mark.parametrize(
    ("aucs", "winner"),
    [
        ({"recency": 0.70, "purchase_model": 0.74, "logistic_rfm": 0.76}, "logistic_rfm"),
        ({"recency": 0.70, "purchase_model": 0.757, "logistic_rfm": 0.76}, "purchase_model"),
        ({"recency": 0.80, "logistic_rfm": 0.803, "gradient_boosting": 0.81}, "gradient_boosting"),
        ({"recency": 0.80, "logistic_rfm": 0.70, "gradient_boosting": 0.79}, "recency"),
        ({"recency": 0.70, "purchase_model": float("nan"), "logistic_rfm": 0.71}, "logistic_rfm"),
    ],
)
def test_choose_takes_the_simplest_within_the_tolerance_of_the_best(aucs, winner):
    results = {name: {"validation_roc_auc": auc} for name, auc in aucs.items()}
    assert churn.choose(results) == winner


def test_rows_from_the_as_of_date_on_change_nothing(invoices):
    """Training, validation, refit and scoring only read invoices before the as-of date."""
    scores, metrics = churn.score_churn(invoices, AS_OF)
    future = invoices.sample(300, random_state=2).assign(
        invoice_date=AS_OF + pd.Timedelta(days=3), invoice_value=1e6
    )
    with_future, future_metrics = churn.score_churn(pd.concat([invoices, future]), AS_OF)
    pd.testing.assert_frame_equal(scores, with_future)
    pd.testing.assert_frame_equal(metrics, future_metrics)


def test_scores_are_deterministic_and_ignore_row_order(invoices):
    first, first_metrics = churn.score_churn(invoices, AS_OF)
    second, second_metrics = churn.score_churn(invoices.sample(frac=1, random_state=3), AS_OF)
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(first_metrics, second_metrics)


def no_purchases_after(invoices: pd.DataFrame, date) -> pd.DataFrame:
    return invoices[pd.to_datetime(invoices["invoice_date"]) < pd.Timestamp(date)]


def first_purchases_only(invoices: pd.DataFrame) -> pd.DataFrame:
    return invoices.sort_values("invoice_date").drop_duplicates("client_key")


BAD_INPUTS = {
    "no invoices": lambda frame: frame.head(0),
    "one client": lambda frame: frame[frame["client_key"] == frame["client_key"].iloc[0]],
    "fewer clients than the candidates need": lambda frame: frame[
        frame["client_key"].isin(frame["client_key"].unique()[:60])
    ],
    "nobody bought in the last horizon": lambda frame: no_purchases_after(
        frame, AS_OF - pd.Timedelta(days=90)
    ),
    "everyone bought once": first_purchases_only,
    "all clients identical": lambda frame: pd.concat(
        [frame.head(3).assign(client_key=f"c{i}") for i in range(200)]
    ),
    "a cutoff before any data": lambda frame: frame.assign(
        invoice_date=AS_OF - pd.Timedelta(days=30)
    ),
}


@pytest.mark.parametrize("with_purchase_model", [False, True], ids=["alone", "with_clv"])
@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_falls_back_with_a_name_and_a_reason(invoices, case, with_purchase_model):
    data = BAD_INPUTS[case](invoices)
    purchase_model = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if with_purchase_model:
            purchase_model = clv_probabilities(data)
        scores, metrics = churn.score_churn(data, AS_OF, 90, purchase_model)
    status = metrics.set_index(["model_name", "metric_name"]).loc[("churn", "fit_status")]
    assert status["metric_value"] == 0
    assert len(status["message"]) > 10
    assert any("churn model not validated" in str(warning.message) for warning in caught)
    assert len(scores) == data["client_key"].nunique()
    methods = set(scores["churn_method"])
    assert len(methods) <= 1 and methods <= {
        "fallback_purchase_model",
        "fallback_base_rate",
        "fallback_unscored",
    }
    if methods == {"fallback_purchase_model"}:
        assert scores["churn_probability"].nunique() > 1, "a fitted purchase model varies"
    if methods == {"fallback_unscored"}:
        assert scores["churn_probability"].isna().all()


def test_a_single_huge_client_does_not_dominate(invoices):
    whale = invoices[invoices["client_key"] == invoices["client_key"].iloc[0]].assign(
        invoice_value=1e12
    )
    rest = invoices[invoices["client_key"] != invoices["client_key"].iloc[0]]
    scores, metrics = churn.score_churn(pd.concat([rest, whale]), AS_OF)
    measured = metrics[metrics["model_name"] == "churn"].set_index("metric_name")["metric_value"]
    assert measured["fit_status"] == 1 and measured["roc_auc"] > 0.75
    assert scores["churn_probability"].between(0, 1).all()


def test_sort_order_is_the_order_of_sort_values():
    """Keys, dates and invoice numbers with ties and missing values, ranked as sort_values
    ranks them (stable, missing last), also from the caller's codes of the first column."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "client_key": rng.choice(["b", "a", "c", None], 400),
            "invoice_date": pd.to_datetime(
                rng.choice(["2024-01-02", "2024-01-01", None], 400), format="%Y-%m-%d"
            ),
            "invoice_no": rng.choice(["10", "9", "x", None], 400),
        }
    )
    columns = ["client_key", "invoice_date", "invoice_no"]
    expected = frame.sort_values(columns, kind="stable").index.to_numpy()
    assert (churn.sort_order(frame, columns) == expected).all()
    codes = churn.sort_codes(frame["client_key"])
    assert (churn.sort_order(frame, columns, codes) == expected).all()


def test_window_features_and_labels_match_the_frame_functions(invoices):
    """score_churn reads the invoices once (client_invoices) for every window: the same
    features and labels as client_features and churn_labels on the frame, and frequency counts
    distinct invoice numbers, missing ones not counted."""
    invoices = invoices.copy()
    invoices.loc[invoices.index[::7], "invoice_no"] = None
    invoices.loc[invoices.index[::11], "client_key"] = None
    arrays = churn.client_invoices(invoices)
    for cutoff in (AS_OF - pd.Timedelta(days=180), AS_OF):
        features, codes = churn._client_features(arrays, cutoff)
        pd.testing.assert_frame_equal(features, churn.client_features(invoices, cutoff))
        assert (arrays.client_keys[codes] == features["client_key"].to_numpy()).all()
        kept = invoices[pd.to_datetime(invoices["invoice_date"]) < cutoff]
        frequency = kept.groupby("client_key")["invoice_no"].nunique()
        assert (features.set_index("client_key")["frequency"] == frequency).all()
        labels = churn._churn_labels(arrays, codes, features.index, cutoff, 90)
        pd.testing.assert_series_equal(
            labels, churn.churn_labels(invoices, features["client_key"], cutoff, 90)
        )
