"""Behaviour segments: KMeans on five feature families, named only by claims their members bear out.

A behaviour segment is a KMeans cluster. It is not the RFM cell of rfm.segment_name (the
rfm_segments seed's grid over recency and frequency quintiles); docs/segments.md says how
they differ. Each step is a pure function tested in tests/python/test_scoring_segments.py:

1. ``feature_matrix``: the columns of FEATURE_FAMILIES (value, product breadth, basket,
   cancellations, temporal) from client_features; right-skewed counts and amounts log1p'd,
   missing values (a trend without spend in the window) as 0; each column clipped to its
   1st-99th percentile so a handful of extreme clients cannot stretch the scale; standardised.
2. PCA keeps the components explaining 90 % of the variance (clustering runs on them) and
   always reports the first two as plot coordinates.
3. ``choose_k``: KMeans (fixed random_state, n_init 10) for each k in the range, on a
   fixed-seed sample of at most 10,000 clients; the k with the best silhouette wins and is
   refitted on all buyers. The range starts at 3 by default (vars).
4. ``segment_profile`` and ``segment_name``: a name is one word per dimension of DIMENSIONS
   (recency against the churn horizon; frequency and value against the buyers' medians; the
   'Cancelling' qualifier). A claim ('Lapsed', 'High-Value', ...) enters the name only when the
   cluster's median AND at least 75 % of its members satisfy it; otherwise the dimension's
   neutral word ('Mixed-Value', ...) stands. The dbt test assert_segment_names_hold checks
   every claim again on the built tables. segment_id orders clusters from the highest median
   spend down; two clusters with the same name are numbered in that order. Rows are sorted by
   client_key first, so neither the input order nor a rerun reshuffles labels.

Clients without a purchase are not clustered: segment 0, 'No Purchases'. With fewer buyers
than a clustering needs, or no variation among them, all buyers form segment 1 'All Buyers'
(a name that claims nothing) and fit_status 0 says why.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn import config_context
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import pairwise_distances_chunked
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_array
from threadpoolctl import threadpool_limits

RANDOM_STATE = 42
MIN_BUYERS_TO_CLUSTER = 20
SELECTION_SAMPLE = 10_000
EXPLAINED_VARIANCE_TO_KEEP = 0.90
CLIP_QUANTILES = (0.01, 0.99)
# MiB of distances the silhouettes hold at once. sklearn's default (1 GiB) holds the sample's whole
# 10,000 x 10,000 matrix, and allocating it costs more than the arithmetic; rows are
# independent, so chunks give the same scores.
SILHOUETTE_WORKING_MEMORY = 16

# family -> (client_features column, log1p it?). Log for counts and amounts, which are heavily
# right-skewed; shares, rates and ratios are already bounded.
FEATURE_FAMILIES = {
    "value": [("recency_days", True), ("frequency", True), ("monetary", True)],
    "product_breadth": [
        ("distinct_products", True),
        ("distinct_categories", False),
        ("repeat_product_share", False),
    ],
    "basket": [("avg_basket_value", True), ("avg_basket_items", True)],
    "cancellations": [("cancellation_rate", False), ("cancelled_value_share", False)],
    "temporal": [
        ("tenure_days", True),
        ("spend_last_12_months", True),
        ("monthly_trend_ratio", False),
        ("q4_spend_share", False),
    ],
}
FEATURE_COLUMNS = [column for family in FEATURE_FAMILIES.values() for column, _ in family]

# A claim holds for a cluster when its median and at least this share of its members satisfy it.
MIN_MEMBER_SHARE = 0.75
# The vocabulary of behaviour segment names, one word per dimension, in name order:
# dimension -> (client column, neutral word, {claim word: (operator, threshold)}).
# Threshold "horizon" is var('churn_horizon_days'), "median" the median over buying clients,
# "zero" 0. A dimension without a neutral word is a qualifier: its word appears only when it
# holds, and its absence claims nothing. tests/marts/assert_segment_names_hold.sql checks the
# same claims in SQL on the built tables; docs/segments.md explains them.
DIMENSIONS = {
    "cancellations": ("cancelled_invoices", None, {"Cancelling": (">", "zero")}),
    "recency": (
        "recency_days",
        "Mixed-Recency",
        {"Active": ("<=", "horizon"), "Lapsed": (">", "horizon")},
    ),
    "frequency": (
        "frequency",
        "Mixed-Frequency",
        {"Frequent": (">", "median"), "Infrequent": ("<=", "median")},
    ),
    "value": (
        "monetary",
        "Mixed-Value",
        {"High-Value": (">", "median"), "Low-Value": ("<=", "median")},
    ),
}
NO_PURCHASES = "No Purchases"
ALL_BUYERS = "All Buyers"
SEGMENT_COLUMNS = ["client_key", "segment_id", "segment_name", "pca_1", "pca_2"]


def feature_matrix(buyers: pd.DataFrame) -> np.ndarray:
    """FEATURE_COLUMNS, log1p where skewed, missing as 0, percentile-clipped, standardised."""
    columns = []
    for family in FEATURE_FAMILIES.values():
        for column, logged in family:
            values = pd.to_numeric(buyers[column], errors="coerce").astype(float).fillna(0.0)
            columns.append(np.log1p(values.clip(lower=0)) if logged else values)
    matrix = np.column_stack(columns) if len(buyers) else np.empty((0, len(FEATURE_COLUMNS)))
    if not len(matrix):
        return matrix
    low, high = np.quantile(matrix, CLIP_QUANTILES, axis=0)
    return StandardScaler().fit_transform(np.clip(matrix, low, high))


def mean_silhouettes(points: np.ndarray, labelings: dict[int, np.ndarray]) -> dict[int, float]:
    """sklearn's silhouette_score of each labeling of the same points, from one pass over their
    pairwise distances: computing the distances once per k was most of choosing k. The same
    arithmetic in the same order as sklearn's silhouette_samples, so the scores are equal."""
    points = check_array(points, accept_sparse=["csr"])
    codes = {k: np.unique(labels, return_inverse=True)[1] for k, labels in labelings.items()}
    sizes = {k: np.bincount(labels) for k, labels in codes.items()}

    def nearest_clusters(chunk: np.ndarray, start: int) -> tuple[np.ndarray, ...]:
        """Per labeling: each row's summed distance to its own cluster and its mean distance
        to the nearest other cluster."""
        reduced = []
        rows = np.arange(len(chunk))
        for k, labels in codes.items():
            totals = np.zeros((len(chunk), len(sizes[k])), dtype=chunk.dtype)
            for row in rows:
                totals[row] += np.bincount(labels, weights=chunk[row], minlength=len(sizes[k]))
            own = (rows, labels[start : start + len(chunk)])
            intra = totals[own]
            totals[own] = np.inf
            totals /= sizes[k]
            reduced += [intra, totals.min(axis=1)]
        return tuple(reduced)

    with config_context(working_memory=SILHOUETTE_WORKING_MEMORY):
        chunks = list(
            pairwise_distances_chunked(points, reduce_func=nearest_clusters, metric="euclidean")
        )
    scores = {}
    for number, (k, labels) in enumerate(codes.items()):
        intra = np.concatenate([chunk[2 * number] for chunk in chunks])
        inter = np.concatenate([chunk[2 * number + 1] for chunk in chunks])
        with np.errstate(divide="ignore", invalid="ignore"):
            intra /= (sizes[k] - 1).take(labels, mode="clip")
            samples = (inter - intra) / np.maximum(intra, inter)
        scores[k] = float(np.mean(np.nan_to_num(samples)))
    return scores


def choose_k(points: np.ndarray, k_range: range) -> tuple[int, KMeans, dict[int, float]]:
    """The k with the best silhouette, KMeans with that k fitted on all points, and the
    silhouette of every k tried (measured on the fixed-seed selection sample)."""
    rng = np.random.default_rng(RANDOM_STATE)
    sample = points
    if len(points) > SELECTION_SAMPLE:
        sample = points[np.sort(rng.choice(len(points), SELECTION_SAMPLE, replace=False))]
    labelings = {}
    for k in k_range:
        labels = KMeans(n_clusters=k, n_init=10, random_state=RANDOM_STATE).fit_predict(sample)
        if len(np.unique(labels)) > 1:
            labelings[k] = labels
    silhouettes = mean_silhouettes(sample, labelings)
    best = max(silhouettes, key=lambda k: (silhouettes[k], -k))
    return (
        best,
        KMeans(n_clusters=best, n_init=10, random_state=RANDOM_STATE).fit(points),
        silhouettes,
    )


def claim_thresholds(buyers: pd.DataFrame, horizon_days: int) -> dict[str, dict[str, float]]:
    """Per dimension, the numbers its claims compare with: the horizon, the buyers' median."""
    return {
        dimension: {
            "horizon": float(horizon_days),
            "median": float(pd.to_numeric(buyers[column]).astype(float).median()),
            "zero": 0.0,
        }
        for dimension, (column, _, _) in DIMENSIONS.items()
    }


def satisfies(values, operator: str, threshold: float):
    """values <= threshold or values > threshold (arrays or scalars)."""
    return values <= threshold if operator == "<=" else values > threshold


def segment_profile(
    buyers: pd.DataFrame, labels: np.ndarray, thresholds: dict[str, dict[str, float]]
) -> pd.DataFrame:
    """One row per cluster label: size, median of each dimension's column, and for every claim
    word the share of members satisfying it (column share_<word>) and whether the median does
    (median_<word>)."""
    facts = pd.DataFrame(
        {
            column: pd.to_numeric(buyers[column]).astype(float).to_numpy()
            for column, _, _ in DIMENSIONS.values()
        }
    ).assign(label=labels)
    grouped = facts.groupby("label")
    profile = grouped.size().rename("clients").to_frame()
    for dimension, (column, _, claims) in DIMENSIONS.items():
        profile[f"median_{column}"] = grouped[column].median()
        for word, (operator, threshold_name) in claims.items():
            threshold = thresholds[dimension][threshold_name]
            holds = satisfies(facts[column], operator, threshold)
            profile[f"share_{word}"] = holds.groupby(facts["label"]).mean()
            profile[f"median_{word}"] = satisfies(profile[f"median_{column}"], operator, threshold)
    return profile


def segment_name(profile_row: pd.Series) -> str:
    """One word per dimension: the claim its median and >= 75 % of members satisfy, else the
    dimension's neutral word (a qualifier without one is left out). Complementary claims
    cannot both hold at 75 %."""
    words = []
    for _, (_, neutral, claims) in DIMENSIONS.items():
        held = [
            word
            for word in claims
            if profile_row[f"median_{word}"] and profile_row[f"share_{word}"] >= MIN_MEMBER_SHARE
        ]
        if held or neutral:
            words.append(held[0] if held else neutral)
    return " ".join(words)


def name_segments(
    buyers: pd.DataFrame, labels: np.ndarray, thresholds: dict[str, dict[str, float]]
) -> pd.DataFrame:
    """segment_id and segment_name per KMeans label, from the clusters' profiles.

    segment_id 1 is the cluster with the highest median spend (ties: more recent, then more
    frequent). Two clusters with the same name are numbered by that order ('... 2').
    """
    profile = segment_profile(buyers, labels, thresholds)
    profile = profile.sort_values(
        ["median_monetary", "median_recency_days", "median_frequency"],
        ascending=[False, True, False],
        kind="mergesort",
    )
    profile["segment_id"] = range(1, len(profile) + 1)
    names = [segment_name(row) for _, row in profile.iterrows()]
    repeats = pd.Series(names).groupby(names).cumcount() + 1
    profile["segment_name"] = [
        name if count == 1 else f"{name} {count}"
        for name, count in zip(names, repeats, strict=True)
    ]
    return profile


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
        return "buying clients do not differ in any segmentation feature; nothing to cluster"
    return None


def segment_clients(
    features: pd.DataFrame, k_range: range = range(3, 9), horizon_days: int = 90
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Behaviour segment per client (with PCA plot coordinates) and KMeans metrics rows."""
    features = features.sort_values("client_key", ignore_index=True)
    bought = pd.to_numeric(features["frequency"]).fillna(0) > 0
    buyers = features[bought].reset_index(drop=True)
    metrics = [_metric("n_clients", len(features)), _metric("n_buyers", len(buyers))]
    points = feature_matrix(buyers)
    blocker = clustering_blocker(points)
    if blocker is None:
        pca = PCA(random_state=RANDOM_STATE).fit(points)
        explained = pca.explained_variance_ratio_
        kept = int(np.searchsorted(np.cumsum(explained), EXPLAINED_VARIANCE_TO_KEEP) + 1)
        kept = min(kept, len(explained))
        projected = pca.transform(points)
        distinct_points = len(np.unique(points, axis=0))
        usable_ks = range(
            min(k_range.start, distinct_points - 1), min(k_range.stop, distinct_points)
        )
        # One thread: on a few thousand rows KMeans' and the silhouette's threads mostly wait
        # on each other, and beside the other models dbt runs at once that costs several times
        # the work itself. Labels and silhouettes do not change.
        with threadpool_limits(limits=1):
            k, fitted, silhouettes = choose_k(projected[:, :kept], usable_ks)
        names = name_segments(buyers, fitted.labels_, claim_thresholds(buyers, horizon_days))
        assigned = names.loc[fitted.labels_].reset_index(drop=True)
        buyer_segments = buyers[["client_key"]].assign(
            segment_id=assigned["segment_id"],
            segment_name=assigned["segment_name"],
            pca_1=projected[:, 0],
            pca_2=projected[:, 1],
        )
        metrics += [_metric("chosen_k", k), _metric("silhouette", silhouettes[k])]
        metrics += [_metric("selection_sample", min(len(points), SELECTION_SAMPLE))]
        metrics += [_metric("n_features", points.shape[1])]
        metrics += [_metric(f"silhouette_k{kk}", value) for kk, value in silhouettes.items()]
        metrics += [_metric(f"explained_variance_pc{i}", v) for i, v in enumerate(explained, 1)]
        metrics += [_metric("pca_components_kept", kept)]
        sizes = buyer_segments["segment_id"].value_counts().sort_index()
        metrics += [_metric(f"cluster_size_{segment}", size) for segment, size in sizes.items()]
        metrics.append(_metric("fit_status", 1))
    else:
        warnings.warn(f"KMeans not fitted, one segment for all buyers: {blocker}", stacklevel=2)
        buyer_segments = buyers[["client_key"]].assign(
            segment_id=1, segment_name=ALL_BUYERS, pca_1=np.nan, pca_2=np.nan
        )
        metrics.append(_metric("fit_status", 0, blocker))
    non_buyers = features.loc[~bought, ["client_key"]].assign(
        segment_id=0, segment_name=NO_PURCHASES, pca_1=np.nan, pca_2=np.nan
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
    features = to_pandas(dbt.ref("client_features"))
    min_segments = dbt.config.get("min_segments")
    max_segments = dbt.config.get("max_segments")
    horizon_days = dbt.config.get("horizon_days")
    k_range = range(int(min_segments), int(max_segments) + 1)
    segments, metrics = segment_clients(features, k_range, int(horizon_days))
    return for_warehouse(as_envelope(segments, metrics), session)
