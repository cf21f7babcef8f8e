"""KMeans segmentation functions (python_models/scoring/int_client_segments.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import load_python_file

segments = load_python_file("python_models/scoring/int_client_segments.py")

# Three well-separated groups: (median recency days, frequency, monetary).
GROUPS = {
    "loyal": (10, 40, 8000),
    "lapsed_small": (600, 1, 30),
    "recent_small": (15, 2, 60),
}


def synthetic_rfm(per_group: int = 300, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for name, (recency, frequency, monetary) in GROUPS.items():
        frames.append(
            pd.DataFrame(
                {
                    "client_key": [f"{name}-{i:04d}" for i in range(per_group)],
                    "recency_days": np.maximum(1, rng.normal(recency, recency * 0.15, per_group)),
                    "frequency": np.maximum(
                        1, rng.normal(frequency, frequency * 0.15 + 0.3, per_group)
                    ).round(),
                    "monetary": np.maximum(1, rng.normal(monetary, monetary * 0.15, per_group)),
                    "tenure_days": 700,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_separated_groups_are_recovered_and_named_by_profile():
    rfm = synthetic_rfm()
    result, metrics = segments.segment_clients(rfm, range(2, 7))
    measured = metrics.set_index("metric_name")["metric_value"]
    assert measured["chosen_k"] == 3
    group = result["client_key"].str.rsplit("-", n=1).str[0]
    # Each synthetic group maps to exactly one segment, and each segment to one group.
    assert result.groupby(group)["segment_id"].nunique().eq(1).all()
    assert result.groupby("segment_id")["client_key"].count().eq(300).all()
    name_of = result.groupby(group)["segment_name"].first()
    assert name_of["loyal"] == "Loyal High-Value"
    assert name_of["lapsed_small"] == "Lapsed Low-Value"
    assert name_of["recent_small"].startswith("Recent")
    assert result.set_index("client_key").loc["loyal-0000", "segment_id"] == 1
    for k in range(2, 7):
        assert -1 <= measured[f"silhouette_k{k}"] <= 1
    assert measured[
        ["explained_variance_pc1", "explained_variance_pc2", "explained_variance_pc3"]
    ].sum() == pytest.approx(1)
    assert result[["pca_1", "pca_2"]].notna().all().all()


def test_labels_do_not_depend_on_row_order_or_reruns():
    rfm = synthetic_rfm()
    first, _ = segments.segment_clients(rfm, range(2, 7))
    shuffled, _ = segments.segment_clients(rfm.sample(frac=1, random_state=9), range(2, 7))
    pd.testing.assert_frame_equal(first, shuffled)


def test_an_extreme_spender_does_not_get_a_segment_of_its_own():
    rfm = synthetic_rfm()
    whale = pd.DataFrame(
        [
            {
                "client_key": "whale",
                "recency_days": 5,
                "frequency": 500,
                "monetary": 5e7,
                "tenure_days": 700,
            }
        ]
    )
    result, _ = segments.segment_clients(pd.concat([rfm, whale]), range(2, 7))
    whale_segment = result.set_index("client_key").loc["whale", "segment_id"]
    assert (result["segment_id"] == whale_segment).sum() > 100


def test_clients_without_purchases_are_not_clustered():
    rfm = pd.concat(
        [
            synthetic_rfm(),
            pd.DataFrame(
                [
                    {
                        "client_key": "never",
                        "recency_days": None,
                        "frequency": 0,
                        "monetary": 0,
                        "tenure_days": None,
                    }
                ]
            ),
        ]
    )
    result, _ = segments.segment_clients(rfm, range(2, 7))
    never = result.set_index("client_key").loc["never"]
    assert never["segment_id"] == 0
    assert never["segment_name"] == "No Purchases"


def identical(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "client_key": [f"c{i}" for i in range(n)],
            "recency_days": 30,
            "frequency": 2,
            "monetary": 100.0,
            "tenure_days": 200,
        }
    )


BAD_INPUTS = {
    "no clients": identical(0),
    "one buying client": identical(1),
    "fewer buyers than a clustering needs": synthetic_rfm().head(10),
    "all clients identical": identical(500),
    "nobody bought": identical(50).assign(frequency=0, recency_days=None),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_gives_one_segment_and_a_reason(case):
    rfm = BAD_INPUTS[case]
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        result, metrics = segments.segment_clients(rfm, range(3, 9))
    status = metrics.set_index("metric_name").loc["fit_status"]
    assert status["metric_value"] == 0
    assert len(status["message"]) > 10
    assert len(result) == len(rfm)
    assert result["segment_name"].isin(["All Buyers", "No Purchases"]).all()
