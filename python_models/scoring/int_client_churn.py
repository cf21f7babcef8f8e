"""Churn probability: a calibrated classifier trained on a time split inside the data.

The label needs a future, so training looks back one horizon: features are computed as of
``as_of_date - horizon`` (the training cutoff) from invoices before that cutoff only, and the
label is whether the client bought nothing in the following horizon, which ends at the as-of
date. The trained model is then applied to features as of the as-of date. Each step is a pure
function tested in tests/python/test_scoring_churn.py:

1. ``client_features``: recency, frequency, spend, basket, tenure, inter-purchase rhythm and
   recent-spend trend per client, from invoices strictly before the cutoff.
2. ``churn_labels``: 1 when the client has no purchase in [cutoff, cutoff + horizon).
3. ``train_churn_model``: gradient boosting, calibrated (isotonic with enough clients, else
   Platt), trained on 75 % of the clients and measured on the other 25 % (AUC, PR-AUC, Brier,
   a ten-bin calibration curve).
4. ``score_churn``: the probabilities and the metrics. When the model cannot be trained (too
   few clients, or every client in one class, e.g. no purchases after the cutoff) every client
   gets the training base rate, churn_method says so and fit_status 0 carries the reason.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV, calibration_curve
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

RANDOM_STATE = 42
MIN_CLIENTS_TO_TRAIN = 100
MIN_CLIENTS_PER_CLASS = 10
MIN_CLIENTS_FOR_ISOTONIC = 2000
HELD_OUT_SHARE = 0.25
CALIBRATION_BINS = 10
FEATURES = [
    "recency_days",
    "tenure_days",
    "frequency",
    "purchase_days",
    "monetary",
    "avg_basket_value",
    "avg_basket_products",
    "purchases_per_30_days",
    "mean_days_between",
    "stddev_days_between",
    "recency_vs_rhythm",
    "spend_last_90_days",
    "spend_previous_90_days",
    "purchases_last_180_days",
]


def sort_codes(values: pd.Series) -> np.ndarray:
    """Integer codes ordered like the values, missing values last, as sort_values orders them."""
    codes, uniques = pd.factorize(values, sort=True)
    return np.where(codes < 0, len(uniques), codes)


def sorted_rows(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """frame.sort_values(columns): the same rows in the same (stable) order, but the last column
    is only ranked among rows tied on all the others. Ranking a million near-unique invoice
    numbers is most of what sort_values costs, and they only break ties within a client's day."""
    leading = [sort_codes(frame[column]) for column in columns[:-1]]
    group = np.ravel_multi_index(leading, [len(frame) + 1] * len(leading))
    tied = pd.Series(group).duplicated(keep=False).to_numpy()
    last = np.zeros(len(frame), dtype=np.int64)
    last[tied] = sort_codes(frame[columns[-1]][tied])
    return frame.take(np.lexsort([last, *leading[::-1]]))


# Also in int_client_clv.py: Snowflake runs each model file alone, so they cannot share a module.
def day_numbers(dates) -> np.ndarray:
    """Calendar days since 1970-01-01 (int64) of dates or timestamps of any resolution (date
    objects, ISO strings, numpy or pandas values; one or many). Date arithmetic uses these: a
    pandas Timedelta counts nanoseconds and overflows beyond 292 years, nanosecond timestamps end
    in 2262, and the as-of date and the staging date bounds are vars anyone can set."""
    array = np.asarray(dates)
    if array.dtype.kind != "M":
        array = array.astype("datetime64[us]")
    return array.astype("datetime64[D]").astype(np.int64)


def client_features(invoices: pd.DataFrame, cutoff) -> pd.DataFrame:
    """Features per client as of ``cutoff``, from invoices dated strictly before it.

    ``invoices`` has client_key, invoice_no, invoice_date, invoice_value and product_count (one
    row per purchase invoice). Clients without an invoice before the cutoff have no row.
    Inter-purchase statistics need two (mean) or three (spread) purchase days; without them
    they are -1, which the trees can separate from any real gap.
    """
    cutoff = day_numbers(cutoff)
    days = day_numbers(invoices["invoice_date"])
    kept = (days < cutoff) & invoices["client_key"].notna().to_numpy()
    if not kept.any():
        return pd.DataFrame(columns=["client_key", *FEATURES])
    # Grouped by integer codes in client_key order: hashing a million key strings once instead
    # of once per aggregate; rows keep their order within each client, so sums are unchanged.
    client, client_keys = pd.factorize(invoices["client_key"].to_numpy()[kept], sort=True)
    before = pd.DataFrame(
        {
            "client": client,
            "invoice_no": invoices["invoice_no"].array[kept],
            "invoice_day": days[kept],
            "invoice_value": invoices["invoice_value"].array[kept].astype(float),
            "product_count": invoices["product_count"].array[kept],
            "days_before": cutoff - days[kept],
        }
    )
    clients = before.groupby("client")
    purchase_days = (
        before[["client", "invoice_day"]].drop_duplicates().sort_values(["client", "invoice_day"])
    )
    gaps = purchase_days.groupby("client")["invoice_day"].diff()
    rhythm = gaps.groupby(purchase_days["client"]).agg(["mean", "std"])
    recent = before["days_before"] <= 90
    previous = before["days_before"].between(91, 180)
    features = pd.DataFrame(
        {
            "recency_days": clients["days_before"].min(),
            "tenure_days": clients["days_before"].max(),
            "frequency": clients["invoice_no"].nunique(),
            "purchase_days": purchase_days.groupby("client").size(),
            "monetary": clients["invoice_value"].sum(),
            "avg_basket_value": clients["invoice_value"].mean(),
            "avg_basket_products": clients["product_count"].mean().astype(float),
            "mean_days_between": rhythm["mean"],
            "stddev_days_between": rhythm["std"],
            "spend_last_90_days": before[recent].groupby("client")["invoice_value"].sum(),
            "spend_previous_90_days": before[previous].groupby("client")["invoice_value"].sum(),
            "purchases_last_180_days": before[before["days_before"] <= 180]
            .groupby("client")
            .size(),
        }
    )
    features["purchases_per_30_days"] = (
        30 * features["purchase_days"] / features["tenure_days"].clip(lower=1)
    )
    features["recency_vs_rhythm"] = features["recency_days"] / features["mean_days_between"]
    fill = {
        "spend_last_90_days": 0.0,
        "spend_previous_90_days": 0.0,
        "purchases_last_180_days": 0,
        "mean_days_between": -1.0,
        "stddev_days_between": -1.0,
        "recency_vs_rhythm": -1.0,
    }
    features = features.fillna(fill)[FEATURES].astype(float).sort_index()
    return features.set_axis(client_keys[features.index]).rename_axis("client_key").reset_index()


def churn_labels(
    invoices: pd.DataFrame, clients: pd.Series, cutoff, horizon_days: int
) -> pd.Series:
    """1 for each client with no invoice in [cutoff, cutoff + horizon), else 0."""
    cutoff = day_numbers(cutoff)
    days = day_numbers(invoices["invoice_date"])
    in_window = (days >= cutoff) & (days < cutoff + horizon_days)
    bought = set(invoices.loc[in_window, "client_key"])
    return pd.Series([0 if client in bought else 1 for client in clients], index=clients.index)


def trainable(labels: pd.Series) -> str | None:
    """Why a classifier cannot be trained on these labels, or None when it can."""
    if len(labels) < MIN_CLIENTS_TO_TRAIN:
        return (
            f"{len(labels)} clients bought before the training cutoff; at least "
            f"{MIN_CLIENTS_TO_TRAIN} needed"
        )
    smallest = int(labels.value_counts().reindex([0, 1], fill_value=0).min())
    if smallest < MIN_CLIENTS_PER_CLASS:
        return (
            f"only {smallest} clients in the rarer class (churned vs retained) after the "
            f"training cutoff; at least {MIN_CLIENTS_PER_CLASS} needed"
        )
    return None


def train_churn_model(features: pd.DataFrame, labels: pd.Series):
    """Calibrated gradient boosting on 75 % of the clients; metrics on the held-out 25 %."""
    train_x, test_x, train_y, test_y = train_test_split(
        features[FEATURES],
        labels,
        test_size=HELD_OUT_SHARE,
        stratify=labels,
        random_state=RANDOM_STATE,
    )
    booster = HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=200,
        max_leaf_nodes=15,
        min_samples_leaf=20,
        l2_regularization=1.0,
        early_stopping=False,
        random_state=RANDOM_STATE,
    )
    method = "isotonic" if len(train_y) >= MIN_CLIENTS_FOR_ISOTONIC else "sigmoid"
    model = CalibratedClassifierCV(booster, method=method, cv=3).fit(train_x, train_y)
    predicted = model.predict_proba(test_x)[:, 1]
    observed_rate, predicted_mean = calibration_curve(
        test_y, predicted, n_bins=CALIBRATION_BINS, strategy="quantile"
    )
    metrics = {
        "roc_auc": roc_auc_score(test_y, predicted),
        "pr_auc": average_precision_score(test_y, predicted),
        "brier_score": brier_score_loss(test_y, predicted),
        "brier_score_base_rate": brier_score_loss(test_y, np.full(len(test_y), train_y.mean())),
        "n_train": len(train_y),
        "n_test": len(test_y),
        "isotonic_calibration": float(method == "isotonic"),
    }
    for number, (mean, rate) in enumerate(zip(predicted_mean, observed_rate, strict=True), 1):
        metrics[f"calibration_bin_{number:02d}_predicted"] = mean
        metrics[f"calibration_bin_{number:02d}_observed"] = rate
    return model, metrics


def score_churn(
    invoices: pd.DataFrame, as_of_date, horizon_days: int = 90
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Churn probability for every client with a purchase before the as-of date, and metrics
    rows (model_name 'churn', metric_name, metric_value, message)."""
    as_of = day_numbers(as_of_date).astype("datetime64[D]")
    cutoff = as_of - np.timedelta64(horizon_days, "D")
    # Sorted first so float sums, and hence the model, do not depend on the order rows arrive in.
    invoices = sorted_rows(invoices, ["client_key", "invoice_date", "invoice_no"])
    training = client_features(invoices, cutoff)
    labels = churn_labels(invoices, training["client_key"], cutoff, horizon_days)
    current = client_features(invoices, as_of)
    metrics = {
        "horizon_days": horizon_days,
        "n_training_clients": len(training),
        "base_rate": float(labels.mean()) if len(labels) else np.nan,
    }
    reason = trainable(labels)
    if reason is None:
        # One OpenMP thread: the boosting opens a parallel region per tree node, whose threads
        # spin-wait; beside the other models dbt runs at once they fight over the cores and can
        # take several times longer. The trees and the probabilities do not change.
        with threadpool_limits(limits=1, user_api="openmp"):
            model, fit_metrics = train_churn_model(training, labels)
            probability = model.predict_proba(current[FEATURES])[:, 1] if len(current) else []
        metrics |= fit_metrics
        method = "calibrated_gradient_boosting"
    else:
        warnings.warn(f"churn model not trained, using the base rate: {reason}", stacklevel=2)
        probability = np.full(len(current), metrics["base_rate"])
        method = "fallback_base_rate"
    scores = pd.DataFrame(
        {
            "client_key": current["client_key"],
            "churn_probability": np.asarray(probability, dtype=float),
            "churn_method": method,
        }
    )
    rows = [
        {"model_name": "churn", "metric_name": name, "metric_value": float(value), "message": None}
        for name, value in metrics.items()
    ]
    rows.append(
        {
            "model_name": "churn",
            "metric_name": "fit_status",
            "metric_value": float(reason is None),
            "message": reason,
        }
    )
    return scores, pd.DataFrame(rows)


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
    dbt.config(materialized="table", packages=["pandas", "numpy", "scikit-learn", "threadpoolctl"])
    invoices = to_pandas(dbt.ref("int_client_invoices"))
    rfm = to_pandas(dbt.ref("rfm"))
    horizon_days = dbt.config.get("horizon_days")
    scores, metrics = score_churn(invoices, rfm["as_of_date"].max(), int(horizon_days))
    return for_warehouse(as_envelope(scores, metrics), session)
