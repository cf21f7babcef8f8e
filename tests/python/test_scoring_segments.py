"""Behaviour segmentation functions (python_models/scoring/int_client_segments.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import load_python_file

segments = load_python_file("python_models/scoring/int_client_segments.py")

HORIZON = 90
# Three well-separated groups: (recency days, invoices, spend, cancelled invoices).
GROUPS = {
    "loyal": (10, 40, 8000, 0),
    "lapsed_small": (600, 1, 30, 0),
    "cancelling_mid": (300, 6, 900, 2),
}


def synthetic_features(per_group: int = 300, seed: int = 5) -> pd.DataFrame:
    """client_features-like rows: every column the segmentation reads."""
    rng = np.random.default_rng(seed)
    frames = []
    for name, (recency, frequency, monetary, cancelled) in GROUPS.items():

        def spread(centre, n=per_group, rel=0.15):
            return np.maximum(1, rng.normal(centre, centre * rel + 0.3, n))

        invoices = spread(frequency).round()
        spend = spread(monetary)
        frames.append(
            pd.DataFrame(
                {
                    "client_key": [f"{name}-{i:04d}" for i in range(per_group)],
                    "recency_days": spread(recency).round(),
                    "frequency": invoices,
                    "monetary": spend,
                    "tenure_days": 700,
                    "distinct_products": spread(frequency * 3).round(),
                    "distinct_categories": np.minimum(10, spread(3).round()),
                    "repeat_product_share": rng.uniform(0, 0.5, per_group),
                    "avg_basket_value": spend / invoices,
                    "avg_basket_items": spread(40),
                    "cancelled_invoices": cancelled,
                    "cancellation_rate": cancelled / (invoices + cancelled),
                    "cancelled_value_share": 0.2 if cancelled else 0.0,
                    "spend_last_12_months": spend / 3 if recency < 365 else 0.0,
                    "monthly_trend_ratio": np.where(recency < 365, 0.1, np.nan),
                    "q4_spend_share": rng.uniform(0, 1, per_group),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_separated_groups_are_recovered_and_named_by_true_claims():
    features = synthetic_features()
    result, metrics = segments.segment_clients(features, range(2, 7), HORIZON)
    measured = metrics.set_index("metric_name")["metric_value"]
    assert measured["chosen_k"] == 3
    group = result["client_key"].str.rsplit("-", n=1).str[0]
    # Each synthetic group maps to exactly one segment, and each segment to one group.
    assert result.groupby(group)["segment_id"].nunique().eq(1).all()
    assert result.groupby("segment_id")["client_key"].count().eq(300).all()
    name_of = result.groupby(group)["segment_name"].first()
    assert name_of["loyal"] == "Active Frequent High-Value"
    assert name_of["lapsed_small"] == "Lapsed Infrequent Low-Value"
    # The middle group holds the population's medians of invoices and spend, so those claims
    # cannot hold for it; recency is beyond the horizon for all of it, and all of it cancels.
    assert name_of["cancelling_mid"] == "Cancelling Lapsed Mixed-Frequency Mixed-Value"
    assert result.set_index("client_key").loc["loyal-0000", "segment_id"] == 1
    for k in range(2, 7):
        assert -1 <= measured[f"silhouette_k{k}"] <= 1
    explained = measured[measured.index.str.startswith("explained_variance_pc")]
    assert len(explained) == measured["n_features"] == len(segments.FEATURE_COLUMNS)
    assert explained.sum() == pytest.approx(1)
    assert 1 <= measured["pca_components_kept"] <= len(explained)
    assert result[["pca_1", "pca_2"]].notna().all().all()


def test_every_feature_family_is_used():
    assert set(segments.FEATURE_FAMILIES) == {
        "value",
        "product_breadth",
        "basket",
        "cancellations",
        "temporal",
    }
    assert all(segments.FEATURE_FAMILIES.values())


def test_feature_matrix_is_standardised_clipped_and_has_no_missing_values():
    features = synthetic_features()
    features.loc[0, "monetary"] = 1e9
    points = segments.feature_matrix(features)
    assert points.shape == (len(features), len(segments.FEATURE_COLUMNS))
    assert np.isfinite(points).all()
    varying = points.std(axis=0) > 0
    np.testing.assert_allclose(points.mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(points.std(axis=0)[varying], 1)
    monetary = segments.FEATURE_COLUMNS.index("monetary")
    # The outlier is clipped to the 99th percentile, so it sits with the next-highest spenders.
    assert points[0, monetary] == pytest.approx(np.sort(points[:, monetary])[-2])


def profile_row(**claims) -> pd.Series:
    """A profile row in which every claim is false, except those given as (median, share)."""
    row = {}
    for _, _, words in segments.DIMENSIONS.values():
        for word in words:
            median, share = claims.get(word.replace("-", "_"), (False, 0.0))
            row[f"median_{word}"], row[f"share_{word}"] = median, share
    return pd.Series(row)


def test_a_claim_needs_its_median_and_three_quarters_of_the_members():
    assert (
        segments.segment_name(
            profile_row(Lapsed=(True, 0.75), Frequent=(True, 0.9), High_Value=(True, 1.0))
        )
        == "Lapsed Frequent High-Value"
    )
    # 74 % of members is not enough, whatever the median says ...
    assert segments.segment_name(profile_row(Lapsed=(True, 0.74))).startswith("Mixed-Recency")
    # ... and the median must satisfy it too.
    assert segments.segment_name(profile_row(Low_Value=(False, 0.8))).endswith("Mixed-Value")
    # The qualifier appears only when it holds; its absence claims nothing.
    assert segments.segment_name(profile_row()) == "Mixed-Recency Mixed-Frequency Mixed-Value"
    assert segments.segment_name(profile_row(Cancelling=(True, 0.8))).startswith("Cancelling ")


def test_profile_measures_each_claim_against_the_horizon_and_the_buyers_medians():
    buyers = pd.DataFrame(
        {
            # recency exactly at the horizon is still Active (<=)
            "recency_days": [90, 91, 400, 500, 10, 20],
            "frequency": [1, 2, 3, 10, 12, 14],
            "monetary": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
            "cancelled_invoices": [0, 0, 1, 1, 0, 0],
        }
    )
    labels = np.array([0, 0, 1, 1, 2, 2])
    thresholds = segments.claim_thresholds(buyers, HORIZON)
    assert thresholds["value"]["median"] == 35.0
    assert thresholds["frequency"]["median"] == 6.5
    profile = segments.segment_profile(buyers, labels, thresholds)
    assert profile.loc[0, "share_Active"] == 0.5
    assert profile.loc[1, "share_Lapsed"] == 1.0
    assert profile.loc[1, "share_Cancelling"] == 1.0
    assert profile.loc[2, "share_High-Value"] == 1.0
    assert profile.loc[0, "median_recency_days"] == 90.5
    assert not profile.loc[0, "median_Active"]
    assert profile["clients"].tolist() == [2, 2, 2]


def test_names_are_numbered_when_two_clusters_make_the_same_claims():
    buyers = pd.DataFrame(
        {
            "recency_days": [500, 600, 700, 800],
            "frequency": [1, 1, 1, 1],
            "monetary": [10.0, 10.0, 20.0, 20.0],
            "cancelled_invoices": 0,
        }
    )
    thresholds = segments.claim_thresholds(buyers, HORIZON)
    named = segments.name_segments(buyers, np.array([0, 0, 1, 1]), thresholds)
    assert named.sort_values("segment_id")["segment_name"].tolist() == [
        "Lapsed Infrequent High-Value",
        "Lapsed Infrequent Low-Value",
    ]
    same = segments.name_segments(buyers.assign(monetary=10.0), np.array([0, 0, 1, 1]), thresholds)
    assert sorted(same["segment_name"]) == [
        "Lapsed Infrequent Low-Value",
        "Lapsed Infrequent Low-Value 2",
    ]


def test_labels_do_not_depend_on_row_order_or_reruns():
    features = synthetic_features()
    first, _ = segments.segment_clients(features, range(2, 7), HORIZON)
    shuffled, _ = segments.segment_clients(
        features.sample(frac=1, random_state=9), range(2, 7), HORIZON
    )
    pd.testing.assert_frame_equal(first, shuffled)


def test_an_extreme_spender_does_not_get_a_segment_of_its_own():
    features = synthetic_features()
    whale = features.iloc[[0]].assign(
        client_key="whale", frequency=500, monetary=5e7, avg_basket_value=1e5
    )
    result, _ = segments.segment_clients(pd.concat([features, whale]), range(2, 7), HORIZON)
    whale_segment = result.set_index("client_key").loc["whale", "segment_id"]
    assert (result["segment_id"] == whale_segment).sum() > 100


def test_clients_without_purchases_are_not_clustered():
    never = (
        synthetic_features()
        .iloc[[0]]
        .assign(client_key="never", recency_days=None, frequency=0, monetary=0)
    )
    result, _ = segments.segment_clients(
        pd.concat([synthetic_features(), never]), range(2, 7), HORIZON
    )
    never = result.set_index("client_key").loc["never"]
    assert never["segment_id"] == 0
    assert never["segment_name"] == "No Purchases"


def identical(n: int) -> pd.DataFrame:
    row = synthetic_features(per_group=1).iloc[0]
    return pd.DataFrame([row] * n, columns=row.index).assign(client_key=[f"c{i}" for i in range(n)])


BAD_INPUTS = {
    "no clients": identical(0),
    "one buying client": identical(1),
    "fewer buyers than a clustering needs": synthetic_features().head(10),
    "all clients identical": identical(500),
    "nobody bought": identical(50).assign(frequency=0, recency_days=None),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_gives_one_segment_and_a_reason(case):
    features = BAD_INPUTS[case]
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        result, metrics = segments.segment_clients(features, range(3, 9), HORIZON)
    status = metrics.set_index("metric_name").loc["fit_status"]
    assert status["metric_value"] == 0
    assert len(status["message"]) > 10
    assert len(result) == len(features)
    assert result["segment_name"].isin(["All Buyers", "No Purchases"]).all()


def test_silhouettes_from_one_pass_equal_sklearns_score_for_every_labeling():
    from sklearn import config_context
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    rng = np.random.default_rng(3)
    # 3,000 points span several chunks of SILHOUETTE_WORKING_MEMORY; the sample is a
    # non-contiguous column slice, as choose_k passes it.
    points = rng.normal(size=(3000, 4))[:, :3]
    labelings = {
        k: KMeans(n_clusters=k, n_init=2, random_state=0).fit_predict(points) for k in (2, 3, 6)
    }
    labelings[9] = rng.integers(0, 3, len(points)) * 7  # labels need not be 0..k-1
    with config_context(working_memory=segments.SILHOUETTE_WORKING_MEMORY):
        expected = {k: float(silhouette_score(points, labels)) for k, labels in labelings.items()}
    assert segments.mean_silhouettes(points, labelings) == expected
