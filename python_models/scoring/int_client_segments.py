"""Client segmentation: KMeans on RFM, with stable human segment names.

Each step is a pure function tested in tests/python/test_scoring_segments.py:

1. ``rfm_matrix``: log1p of recency, frequency and (non-negative) monetary value, because all
   three are heavily right-skewed; then each column clipped to its 1st-99th percentile so a
   handful of extreme clients cannot stretch the scale; then standardised.
2. PCA keeps the components explaining 90 % of the variance (clustering runs on them) and
   always reports the first two as plot coordinates.
3. ``choose_k``: KMeans (fixed random_state, n_init 10) for each k in the range, on a
   fixed-seed sample of at most 10,000 clients; the k with the best silhouette wins and is
   refitted on all buyers. The range starts at 3 by default (vars): two segments rarely say
   more than "good" and "bad" clients, even when their silhouette is highest.
4. ``name_segments``: names come from each cluster's median recency, frequency and monetary
   value compared with the population's medians, never from KMeans' arbitrary label numbers;
   segment_id orders clusters from the highest median spend down. Rows are sorted by
   client_key first, so neither the input order nor a rerun reshuffles labels.

Clients without a purchase are not clustered: segment 0, 'No Purchases'. With fewer buyers
than a clustering needs, or no variation among them, all buyers form segment 1 'All Buyers'
and fit_status 0 says why.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn import config_context
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

RANDOM_STATE = 42
MIN_BUYERS_TO_CLUSTER = 20
SELECTION_SAMPLE = 10_000
EXPLAINED_VARIANCE_TO_KEEP = 0.90
CLIP_QUANTILES = (0.01, 0.99)
# MiB of distances the silhouette holds at once. sklearn's default (1 GiB) holds the sample's whole
# 10,000 x 10,000 matrix, and allocating it for every k costs more than the arithmetic; rows
# are independent, so chunks give the same scores.
SILHOUETTE_WORKING_MEMORY = 16

# (recent, frequent, high value) relative to the population medians -> segment name.
SEGMENT_NAMES = {
    (True, True, True): "Loyal High-Value",
    (True, True, False): "Frequent Small Baskets",
    (True, False, True): "Big-Ticket Newcomers",
    (True, False, False): "Recent Low-Value",
    (False, True, True): "At-Risk High-Value",
    (False, True, False): "Fading Regulars",
    (False, False, True): "Lapsed Big Spenders",
    (False, False, False): "Lapsed Low-Value",
}
SEGMENT_COLUMNS = ["client_key", "segment_id", "segment_name", "pca_1", "pca_2"]


def rfm_matrix(buyers: pd.DataFrame) -> np.ndarray:
    """Log-transformed, percentile-clipped, standardised recency, frequency and monetary."""
    logged = np.column_stack(
        [
            np.log1p(buyers["recency_days"].astype(float).clip(lower=0)),
            np.log1p(buyers["frequency"].astype(float).clip(lower=0)),
            np.log1p(buyers["monetary"].astype(float).fillna(0).clip(lower=0)),
        ]
    )
    low, high = np.quantile(logged, CLIP_QUANTILES, axis=0)
    return StandardScaler().fit_transform(np.clip(logged, low, high))


def choose_k(points: np.ndarray, k_range: range) -> tuple[int, KMeans, dict[int, float]]:
    """The k with the best silhouette, KMeans with that k fitted on all points, and the
    silhouette of every k tried (measured on the fixed-seed selection sample)."""
    rng = np.random.default_rng(RANDOM_STATE)
    sample = points
    if len(points) > SELECTION_SAMPLE:
        sample = points[np.sort(rng.choice(len(points), SELECTION_SAMPLE, replace=False))]
    silhouettes = {}
    for k in k_range:
        labels = KMeans(n_clusters=k, n_init=10, random_state=RANDOM_STATE).fit_predict(sample)
        if len(np.unique(labels)) > 1:
            with config_context(working_memory=SILHOUETTE_WORKING_MEMORY):
                silhouettes[k] = float(silhouette_score(sample, labels))
    best = max(silhouettes, key=lambda k: (silhouettes[k], -k))
    return (
        best,
        KMeans(n_clusters=best, n_init=10, random_state=RANDOM_STATE).fit(points),
        silhouettes,
    )


def name_segments(buyers: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """segment_id and segment_name per KMeans label, from the clusters' median profiles.

    segment_id 1 is the cluster with the highest median spend (ties: more recent, then more
    frequent). Two clusters with the same profile keep the name, numbered by that order.
    """
    profile = (
        buyers.assign(label=labels)
        .groupby("label")[["recency_days", "frequency", "monetary"]]
        .median()
    )
    medians = buyers[["recency_days", "frequency", "monetary"]].median()
    profile = profile.sort_values(
        ["monetary", "recency_days", "frequency"], ascending=[False, True, False]
    )
    profile["segment_id"] = range(1, len(profile) + 1)
    names = [
        SEGMENT_NAMES[
            (
                row.recency_days <= medians["recency_days"],
                row.frequency > medians["frequency"],
                row.monetary > medians["monetary"],
            )
        ]
        for row in profile.itertuples()
    ]
    repeats = pd.Series(names).groupby(names).cumcount() + 1
    profile["segment_name"] = [
        name if count == 1 else f"{name} {count}"
        for name, count in zip(names, repeats, strict=True)
    ]
    return profile[["segment_id", "segment_name"]]


def _metric(name: str, value, message: str | None = None) -> dict:
    return {
        "model_name": "kmeans",
        "metric_name": name,
        "metric_value": float(value),
        "message": message,
    }


def clustering_blocker(points: np.ndarray) -> str | None:
    """Why these buyers cannot be clustered, or None when they can."""
    if len(points) < MIN_BUYERS_TO_CLUSTER:
        return f"{len(points)} buying clients; at least {MIN_BUYERS_TO_CLUSTER} needed to cluster"
    if len(np.unique(np.round(points, 9), axis=0)) < 3:
        return "buying clients do not differ in recency, frequency or spend; nothing to cluster"
    return None


def segment_clients(
    rfm: pd.DataFrame, k_range: range = range(2, 9)
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Segment per client (with PCA plot coordinates) and KMeans metrics rows."""
    rfm = rfm.sort_values("client_key", ignore_index=True)
    bought = rfm["frequency"].fillna(0) > 0
    buyers = rfm[bought].reset_index(drop=True)
    metrics = [_metric("n_clients", len(rfm)), _metric("n_buyers", len(buyers))]
    points = rfm_matrix(buyers) if len(buyers) else np.empty((0, 3))
    blocker = clustering_blocker(points)
    if blocker is None:
        pca = PCA(random_state=RANDOM_STATE).fit(points)
        explained = pca.explained_variance_ratio_
        kept = int(np.searchsorted(np.cumsum(explained), EXPLAINED_VARIANCE_TO_KEEP) + 1)
        projected = pca.transform(points)
        distinct_points = len(np.unique(points, axis=0))
        usable_ks = range(
            min(k_range.start, distinct_points - 1), min(k_range.stop, distinct_points)
        )
        # One thread: on two or three columns KMeans' and the silhouette's threads mostly wait
        # on each other, and beside the other models dbt runs at once that costs several times
        # the work itself. Labels and silhouettes do not change.
        with threadpool_limits(limits=1):
            k, fitted, silhouettes = choose_k(projected[:, :kept], usable_ks)
        names = name_segments(buyers, fitted.labels_)
        assigned = names.loc[fitted.labels_].reset_index(drop=True)
        buyer_segments = buyers[["client_key"]].assign(
            segment_id=assigned["segment_id"],
            segment_name=assigned["segment_name"],
            pca_1=projected[:, 0],
            pca_2=projected[:, 1],
        )
        metrics += [_metric("chosen_k", k), _metric("silhouette", silhouettes[k])]
        metrics += [_metric("selection_sample", min(len(points), SELECTION_SAMPLE))]
        metrics += [_metric(f"silhouette_k{kk}", value) for kk, value in silhouettes.items()]
        metrics += [_metric(f"explained_variance_pc{i}", v) for i, v in enumerate(explained, 1)]
        metrics += [_metric("pca_components_kept", kept)]
        sizes = buyer_segments["segment_id"].value_counts().sort_index()
        metrics += [_metric(f"cluster_size_{segment}", size) for segment, size in sizes.items()]
        metrics.append(_metric("fit_status", 1))
    else:
        warnings.warn(f"KMeans not fitted, one segment for all buyers: {blocker}", stacklevel=2)
        buyer_segments = buyers[["client_key"]].assign(
            segment_id=1, segment_name="All Buyers", pca_1=np.nan, pca_2=np.nan
        )
        metrics.append(_metric("fit_status", 0, blocker))
    non_buyers = rfm.loc[~bought, ["client_key"]].assign(
        segment_id=0, segment_name="No Purchases", pca_1=np.nan, pca_2=np.nan
    )
    segments = pd.concat([buyer_segments, non_buyers], ignore_index=True)[SEGMENT_COLUMNS]
    segments = segments.astype({"segment_id": int, "pca_1": float, "pca_2": float})
    return segments.sort_values("client_key", ignore_index=True), pd.DataFrame(metrics)


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
    rfm = to_pandas(dbt.ref("rfm"))
    min_segments = dbt.config.get("min_segments")
    max_segments = dbt.config.get("max_segments")
    segments, metrics = segment_clients(rfm, range(int(min_segments), int(max_segments) + 1))
    return for_warehouse(as_envelope(segments, metrics), session)
