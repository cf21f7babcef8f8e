"""Churn probability: the best of four candidates on out-of-time validation.

The label needs a future, so every measurement looks back: a client churns when it buys nothing
in the horizon after a cutoff. Candidates are trained on features as of ``as_of - 2 horizons``
with labels from the horizon that follows, validated on features as of ``as_of - horizon``
with labels up to the as-of date (time never leaks backwards), and the winner is refitted on
that latest window and applied to features as of the as-of date. Each step is a pure function
tested in tests/python/test_scoring_churn.py:

1. ``client_features``: recency, frequency, spend, basket, tenure, inter-purchase rhythm and
   recent-spend trend per client, from invoices strictly before the cutoff.
2. ``churn_labels``: 1 when the client has no purchase in [cutoff, cutoff + horizon).
3. ``validate_candidates``, simplest first: ``recency`` (days since the last purchase; a
   one-feature logistic regression gives it probabilities), ``purchase_model`` (the probability
   of no purchase in the horizon from int_client_clv's BG/NBD or MBG/NBD, fitted on the same
   pre-cutoff invoices), ``logistic_rfm`` (logistic regression on log recency, purchase days,
   spend and tenure) and ``gradient_boosting`` (calibrated, on every feature): validation AUC,
   PR-AUC and Brier score each.
4. ``choose``: the simplest candidate within AUC_TIE_TOLERANCE of the best validation AUC, so
   the winner is never worse on validation than recency alone.
5. ``score_churn``: the probabilities and the metrics. When the validation window cannot
   measure anything (too few clients, or every client in one class, e.g. no purchases after
   the cutoff) the purchase model's probability is used unvalidated, else the latest base rate;
   churn_method names the fallback and fit_status 0 carries the reason.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV, calibration_curve
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

RANDOM_STATE = 42
MIN_CLIENTS_TO_TRAIN = 100
MIN_CLIENTS_PER_CLASS = 10
MIN_CLIENTS_FOR_ISOTONIC = 2000
CALIBRATION_BINS = 10
# Simplest first: the first candidate whose validation AUC is within the tolerance of the best
# wins. 0.005 is about half the standard error of an AUC on 2,000 clients.
CANDIDATES = ("recency", "purchase_model", "logistic_rfm", "gradient_boosting")
AUC_TIE_TOLERANCE = 0.005
LOGISTIC_FEATURES = ["recency_days", "purchase_days", "monetary", "tenure_days"]
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


# Also in int_client_clv.py.
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


class ClientInvoices(NamedTuple):
    """Invoices as arrays, for the three windows and two label horizons that each read them:
    client codes in client_key order (-1 without a key; ``client_keys[client]`` is each row's
    key), invoice numbers as codes (NaN without one), calendar day numbers, values and product
    counts. Hashing a million key and invoice number strings once instead of once per window."""

    client: np.ndarray
    client_keys: np.ndarray
    invoice: np.ndarray
    day: np.ndarray
    value: np.ndarray
    product_count: object


def client_invoices(invoices: pd.DataFrame) -> ClientInvoices:
    client, client_keys = pd.factorize(invoices["client_key"].to_numpy(), sort=True)
    invoice = pd.factorize(invoices["invoice_no"].to_numpy())[0]
    return ClientInvoices(
        client,
        client_keys,
        np.where(invoice < 0, np.nan, invoice),
        day_numbers(invoices["invoice_date"]),
        invoices["invoice_value"].array.astype(float),
        invoices["product_count"].array,
    )


def client_features(invoices: pd.DataFrame, cutoff) -> pd.DataFrame:
    """Features per client as of ``cutoff``, from invoices dated strictly before it.

    ``invoices`` has client_key, invoice_no, invoice_date, invoice_value and product_count (one
    row per purchase invoice). Clients without an invoice before the cutoff have no row.
    Inter-purchase statistics need two (mean) or three (spread) purchase days; without them
    they are -1, which the trees can separate from any real gap.
    """
    return _client_features(client_invoices(invoices), cutoff)[0]


def _client_features(invoices: ClientInvoices, cutoff) -> tuple[pd.DataFrame, np.ndarray]:
    """client_features and each row's client code."""
    cutoff = day_numbers(cutoff)
    days = invoices.day
    kept = (days < cutoff) & (invoices.client >= 0)
    if not kept.any():
        return pd.DataFrame(columns=["client_key", *FEATURES]), np.zeros(0, dtype=np.int64)
    # Grouped by integer codes in client_key order; rows keep their order within each client,
    # so sums are unchanged. Distinct invoice numbers are counted on their codes.
    before = pd.DataFrame(
        {
            "client": invoices.client[kept],
            "invoice_no": invoices.invoice[kept],
            "invoice_day": days[kept],
            "invoice_value": invoices.value[kept],
            "product_count": invoices.product_count[kept],
            "days_before": cutoff - days[kept],
        }
    )
    clients = before.groupby("client")
    purchase_days = before[["client", "invoice_day"]].drop_duplicates()
    # score_churn passes rows in client and day order, so they usually are sorted already (and
    # distinct now): then sorting would return them unchanged.
    client, day = purchase_days["client"].to_numpy(), purchase_days["invoice_day"].to_numpy()
    ordered = np.all(
        (client[1:] > client[:-1]) | ((client[1:] == client[:-1]) & (day[1:] > day[:-1]))
    )
    if not ordered:
        purchase_days = purchase_days.sort_values(["client", "invoice_day"])
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
    codes = features.index.to_numpy()
    return (
        features.set_axis(invoices.client_keys[codes]).rename_axis("client_key").reset_index(),
        codes,
    )


def churn_labels(
    invoices: pd.DataFrame, clients: pd.Series, cutoff, horizon_days: int
) -> pd.Series:
    """1 for each client with no invoice in [cutoff, cutoff + horizon), else 0."""
    cutoff = day_numbers(cutoff)
    days = day_numbers(invoices["invoice_date"])
    in_window = (days >= cutoff) & (days < cutoff + horizon_days)
    bought = set(invoices.loc[in_window, "client_key"])
    return pd.Series([0 if client in bought else 1 for client in clients], index=clients.index)


def _churn_labels(
    invoices: ClientInvoices, codes: np.ndarray, index: pd.Index, cutoff, horizon_days: int
) -> pd.Series:
    """churn_labels for the clients with these codes (index: the labels' index)."""
    cutoff = day_numbers(cutoff)
    days = invoices.day
    in_window = (days >= cutoff) & (days < cutoff + horizon_days) & (invoices.client >= 0)
    bought = np.zeros(len(invoices.client_keys), dtype=bool)
    bought[invoices.client[in_window]] = True
    return pd.Series(np.where(bought[codes], 0, 1), index=index)


def unusable_labels(labels: pd.Series, window: str) -> str | None:
    """Why these labels cannot train or measure a classifier, or None when they can."""
    if len(labels) < MIN_CLIENTS_TO_TRAIN:
        return (
            f"{len(labels)} clients bought before the {window} cutoff; at least "
            f"{MIN_CLIENTS_TO_TRAIN} needed"
        )
    smallest = int(labels.value_counts().reindex([0, 1], fill_value=0).min())
    if smallest < MIN_CLIENTS_PER_CLASS:
        return (
            f"only {smallest} clients in the rarer class (churned vs retained) in the {window} "
            f"window; at least {MIN_CLIENTS_PER_CLASS} needed"
        )
    return None


def log_rfm(features: pd.DataFrame) -> np.ndarray:
    """log1p of recency, purchase days (same-day invoices are one visit, as in BG/NBD), spend
    and tenure: all four are right-skewed, and churn odds move with their orders of magnitude."""
    return np.log1p(features[LOGISTIC_FEATURES].clip(lower=0).to_numpy(float))


def fit_candidate(name: str, features: pd.DataFrame, labels: pd.Series):
    """A fitted classifier with predict_proba over the candidate's own inputs (``inputs``)."""
    if name == "gradient_boosting":
        booster = HistGradientBoostingClassifier(
            learning_rate=0.05,
            max_iter=200,
            max_leaf_nodes=15,
            min_samples_leaf=20,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=RANDOM_STATE,
        )
        method = "isotonic" if len(labels) >= MIN_CLIENTS_FOR_ISOTONIC else "sigmoid"
        return CalibratedClassifierCV(booster, method=method, cv=3).fit(
            inputs(name, features), labels
        )
    logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return logistic.fit(inputs(name, features), labels)


def inputs(name: str, features: pd.DataFrame):
    if name == "recency":
        return np.log1p(features[["recency_days"]].clip(lower=0).to_numpy(float))
    if name == "logistic_rfm":
        return log_rfm(features)
    return features[FEATURES]


def measured(labels: pd.Series, predicted, base_rate: float) -> dict:
    """Validation AUC, PR-AUC and Brier score (NaN when there are no probabilities)."""
    predicted = np.asarray(predicted, dtype=float)
    return {
        "validation_roc_auc": roc_auc_score(labels, predicted),
        "validation_pr_auc": average_precision_score(labels, predicted),
        "validation_brier_score": brier_score_loss(labels, np.clip(predicted, 0, 1))
        if np.all((predicted >= 0) & (predicted <= 1))
        else np.nan,
        "validation_brier_score_base_rate": brier_score_loss(
            labels, np.full(len(labels), base_rate)
        ),
    }


def validate_candidates(
    training: pd.DataFrame,
    training_labels: pd.Series,
    validation: pd.DataFrame,
    validation_labels: pd.Series,
    purchase_model_validation: pd.Series,
    purchase_model_blocker: str | None = None,
) -> dict[str, dict]:
    """Per candidate: validation metrics and predictions, or the reason it has none.

    Supervised candidates are trained on the training window and predict the validation
    window. The recency baseline is ranked by days since the last purchase (its AUC needs no
    fit; its Brier score comes from a one-feature logistic fit on the training window). The
    purchase model's probabilities were fitted on the same pre-cutoff invoices by
    int_client_clv.
    """
    results = {}
    blocker = unusable_labels(training_labels, "training")
    base_rate = float(training_labels.mean()) if len(training_labels) else 0.5
    for name in CANDIDATES:
        if name == "purchase_model":
            if purchase_model_blocker is None and (
                purchase_model_validation.isna().any() or len(purchase_model_validation) == 0
            ):
                purchase_model_blocker = "the purchase model has no holdout predictions"
            if purchase_model_blocker is not None:
                results[name] = {"reason": purchase_model_blocker}
                continue
            predicted = purchase_model_validation.to_numpy(float)
        elif blocker is not None:
            if name != "recency":
                results[name] = {"reason": blocker}
                continue
            predicted = validation["recency_days"].to_numpy(float)
        else:
            fitted = fit_candidate(name, training, training_labels)
            predicted = fitted.predict_proba(inputs(name, validation))[:, 1]
        results[name] = {"predicted": predicted} | measured(validation_labels, predicted, base_rate)
    return results


def choose(results: dict[str, dict]) -> str:
    """The simplest candidate (CANDIDATES order) within AUC_TIE_TOLERANCE of the best
    validation AUC. The recency baseline is first, so a candidate that does not beat it by the
    tolerance never wins, and the winner is never worse than it."""
    aucs = {name: result.get("validation_roc_auc", np.nan) for name, result in results.items()}
    aucs = {name: auc for name, auc in aucs.items() if auc == auc}
    best = max(aucs.values())
    return next(name for name in CANDIDATES if aucs.get(name, -1.0) >= best - AUC_TIE_TOLERANCE)


def calibration_rows(labels: pd.Series, predicted) -> dict:
    observed_rate, predicted_mean = calibration_curve(
        labels, predicted, n_bins=CALIBRATION_BINS, strategy="quantile"
    )
    rows = {}
    for number, (mean, rate) in enumerate(zip(predicted_mean, observed_rate, strict=True), 1):
        rows[f"calibration_bin_{number:02d}_predicted"] = mean
        rows[f"calibration_bin_{number:02d}_observed"] = rate
    return rows


def _rows(model_name: str, values: dict, messages: dict | None = None) -> list[dict]:
    messages = messages or {}
    return [
        {
            "model_name": model_name,
            "metric_name": name,
            "metric_value": float(value),
            "message": messages.get(name),
        }
        for name, value in values.items()
        if value == value
    ]


def score_churn(
    invoices: pd.DataFrame,
    as_of_date,
    horizon_days: int = 90,
    purchase_model: pd.DataFrame | None = None,
    purchase_model_days: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Churn probability for every client with a purchase before the as-of date, and metrics
    rows (model_name 'churn' or 'churn_<candidate>', metric_name, metric_value, message).

    ``purchase_model`` holds int_client_clv's client_key, holdout_p_no_purchase (fitted before
    as_of - horizon) and p_no_purchase_horizon (fitted before as_of); None: no such candidate.
    ``purchase_model_days`` is the window its probabilities cover (None: the horizon).
    """
    as_of = day_numbers(as_of_date).astype("datetime64[D]")
    validation_cutoff = as_of - np.timedelta64(horizon_days, "D")
    training_cutoff = validation_cutoff - np.timedelta64(horizon_days, "D")
    # Sorted first so float sums, and hence the model, do not depend on the order rows arrive in.
    # The arrays are read once and put in that order (invoice numbers' codes are only counted).
    arrays = client_invoices(invoices)
    order = sort_order(
        invoices,
        ["client_key", "invoice_date", "invoice_no"],
        np.where(arrays.client < 0, len(arrays.client_keys), arrays.client),
    )
    arrays = ClientInvoices(
        arrays.client[order],
        arrays.client_keys,
        arrays.invoice[order],
        arrays.day[order],
        arrays.value[order],
        arrays.product_count[order],
    )
    if purchase_model is None:
        purchase_model = pd.DataFrame(
            columns=["client_key", "holdout_p_no_purchase", "p_no_purchase_horizon"]
        )
    # Keys as text on both sides, as int_client_clv writes them.
    purchase_model = purchase_model.set_index(purchase_model["client_key"].astype(str))
    training, codes = _client_features(arrays, training_cutoff)
    training_labels = _churn_labels(arrays, codes, training.index, training_cutoff, horizon_days)
    validation, codes = _client_features(arrays, validation_cutoff)
    validation_labels = _churn_labels(
        arrays, codes, validation.index, validation_cutoff, horizon_days
    )
    current = _client_features(arrays, as_of)[0]
    current_keys = current["client_key"].astype(str)
    purchase_model_blocker = None
    if purchase_model.empty:
        purchase_model_blocker = "no purchase model probabilities were given (int_client_clv)"
    elif purchase_model_days is not None and purchase_model_days != horizon_days:
        # Fitted before as_of - purchase_model_days, it would have seen validation labels.
        purchase_model_blocker = (
            f"the purchase model's probabilities cover {purchase_model_days} days, the churn"
            f" horizon is {horizon_days}"
        )
    elif purchase_model["p_no_purchase_horizon"].reindex(current_keys).isna().any():
        purchase_model_blocker = "the purchase model did not score every client at the as-of date"
    summary = {
        "horizon_days": horizon_days,
        "auc_tie_tolerance": AUC_TIE_TOLERANCE,
        "n_training_clients": len(training),
        "n_validation_clients": len(validation),
        "n_scored_clients": len(current),
        "training_base_rate": training_labels.mean() if len(training_labels) else np.nan,
        "base_rate": validation_labels.mean() if len(validation_labels) else np.nan,
    }
    rows: list[dict] = []
    reason = unusable_labels(validation_labels, "validation")
    # One OpenMP thread: the boosting opens a parallel region per tree node, whose threads
    # spin-wait; beside the other models dbt runs at once they fight over the cores and can
    # take several times longer. The trees and the probabilities do not change.
    with threadpool_limits(limits=1, user_api="openmp"):
        if reason is None:
            results = validate_candidates(
                training,
                training_labels,
                validation,
                validation_labels,
                purchase_model["holdout_p_no_purchase"].reindex(
                    validation["client_key"].astype(str)
                ),
                purchase_model_blocker,
            )
            method = choose(results)
            chosen = results[method]
            summary |= {
                "roc_auc": chosen["validation_roc_auc"],
                "pr_auc": chosen["validation_pr_auc"],
                "brier_score": chosen["validation_brier_score"],
                "brier_score_base_rate": chosen["validation_brier_score_base_rate"],
            }
            if chosen["validation_brier_score"] == chosen["validation_brier_score"]:
                summary |= calibration_rows(validation_labels, chosen["predicted"])
            for name in CANDIDATES:
                result = results[name]
                values = {key: value for key, value in result.items() if key.startswith("valid")}
                values |= {"selected": name == method, "fit_status": "reason" not in result}
                rows += _rows(f"churn_{name}", values, {"fit_status": result.get("reason")})
            if method == "purchase_model":
                probability = purchase_model["p_no_purchase_horizon"].reindex(current_keys)
            else:
                # Refitted on the latest window: features at the validation cutoff, labels
                # from the horizon that ends at the as-of date.
                fitted = fit_candidate(method, validation, validation_labels)
                probability = fitted.predict_proba(inputs(method, current))[:, 1]
        else:
            usable = purchase_model if purchase_model_blocker is None else purchase_model.head(0)
            method, probability = fallback(usable, current_keys, summary["base_rate"])
            warnings.warn(f"churn model not validated, {method}: {reason}", stacklevel=2)
    rows = _rows("churn", summary) + rows
    rows.append(
        {
            "model_name": "churn",
            "metric_name": "fit_status",
            "metric_value": float(reason is None),
            "message": reason,
        }
    )
    scores = pd.DataFrame(
        {
            "client_key": current["client_key"],
            "churn_probability": np.asarray(probability, dtype=float),
            "churn_method": method,
        }
    )
    return scores, pd.DataFrame(rows)


def fallback(purchase_model: pd.DataFrame, current_keys: pd.Series, base_rate: float):
    """Without validation labels: the purchase model's probability when it was fitted (it needs
    no labels), else the latest base rate, else no score."""
    fitted = purchase_model["p_no_purchase_horizon"].reindex(current_keys)
    if len(current_keys) and fitted.notna().all():
        return "fallback_purchase_model", fitted.to_numpy(float)
    if base_rate == base_rate:
        return "fallback_base_rate", np.full(len(current_keys), base_rate)
    return "fallback_unscored", np.full(len(current_keys), np.nan)


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
    clv = to_pandas(dbt.ref("int_client_clv"))
    purchase_model = clv.loc[
        clv["row_type"] == "client",
        ["client_key", "holdout_p_no_purchase", "p_no_purchase_horizon"],
    ]
    covered = clv.loc[clv["metric_name"] == "holdout_days", "metric_value"]
    horizon_days = dbt.config.get("horizon_days")
    scores, metrics = score_churn(
        invoices,
        rfm["as_of_date"].max(),
        int(horizon_days),
        purchase_model,
        int(covered.iloc[0]) if len(covered) else None,
    )
    return for_warehouse(as_envelope(scores, metrics), session)
