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


def test_model_learns_a_real_signal_and_is_calibrated(invoices):
    scores, metrics = churn.score_churn(invoices, AS_OF, horizon_days=90)
    measured = metrics.set_index("metric_name")["metric_value"]
    assert measured["fit_status"] == 1
    assert measured["roc_auc"] > 0.75
    assert measured["brier_score"] < measured["brier_score_base_rate"]
    assert scores["churn_probability"].between(0, 1).all()
    assert (scores["churn_method"] == "calibrated_gradient_boosting").all()
    assert scores["client_key"].is_unique
    assert len(scores) == invoices["client_key"].nunique()


def test_scores_are_deterministic_and_ignore_row_order(invoices):
    first, first_metrics = churn.score_churn(invoices, AS_OF)
    second, second_metrics = churn.score_churn(invoices.sample(frac=1, random_state=3), AS_OF)
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(first_metrics, second_metrics)


def no_purchases_after(invoices: pd.DataFrame, date) -> pd.DataFrame:
    return invoices[pd.to_datetime(invoices["invoice_date"]) < pd.Timestamp(date)]


BAD_INPUTS = {
    "no invoices": lambda frame: frame.head(0),
    "one client": lambda frame: frame[frame["client_key"] == frame["client_key"].iloc[0]],
    "no purchases after the training cutoff": lambda frame: no_purchases_after(
        frame, AS_OF - pd.Timedelta(days=90)
    ),
    "all clients identical": lambda frame: pd.concat(
        [frame.head(3).assign(client_key=f"c{i}") for i in range(200)]
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_falls_back_to_the_base_rate_with_a_reason(invoices, case):
    data = BAD_INPUTS[case](invoices)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scores, metrics = churn.score_churn(data, AS_OF)
    status = metrics.set_index("metric_name").loc["fit_status"]
    assert status["metric_value"] == 0
    assert len(status["message"]) > 10
    assert any("churn model not trained" in str(warning.message) for warning in caught)
    assert (scores["churn_method"] == "fallback_base_rate").all()
    assert len(scores) == data["client_key"].nunique()
