"""End-to-end checks of client identity on the built sample: dedupe quality, xref, golden
clients, hierarchy and cycles."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest
from conftest import SAMPLE_DIR
from test_warehouse_build import query


def metric(duckdb_path, name: str) -> float:
    [(value,)] = query(
        duckdb_path, f"select metric_value from core.dedupe_evaluation where metric_name = '{name}'"
    )
    return value


def test_dedupe_meets_the_quality_target_on_the_sample(built_warehouse):
    assert metric(built_warehouse, "pairwise_f1") >= 0.99
    assert metric(built_warehouse, "pairwise_precision") >= 0.99
    assert metric(built_warehouse, "match_threshold") == 85
    assert metric(built_warehouse, "predicted_clusters") < metric(built_warehouse, "records")


def test_every_staged_client_record_maps_to_one_golden_client(built_warehouse):
    [(staged, mapped, keys, golden)] = query(
        built_warehouse,
        """
        select
            (select count(*) from stage.stg_crm__clients),
            (select count(distinct source_client_id) from core.client_xref),
            (select count(distinct client_key) from core.client_xref),
            (select count(*) from core.client_dim)
        """,
    )
    assert staged == mapped
    assert keys == golden
    [(merged_records,)] = query(
        built_warehouse, "select sum(record_count) from core.client_dim where record_count > 1"
    )
    assert merged_records > 0


def test_parents_resolve_to_other_golden_clients(built_warehouse):
    [(with_parent, self_parent)] = query(
        built_warehouse,
        """
        select
            count(*) filter (where parent_client_key is not null),
            count(*) filter (where parent_client_key = client_key)
        from core.client_dim
        """,
    )
    assert with_parent > 0
    assert self_parent == 0


def test_hierarchy_has_each_client_once_at_depth_zero_and_no_self_ancestry(built_warehouse):
    [(clients, depth_zero, self_ancestry)] = query(
        built_warehouse,
        """
        select
            (select count(*) from core.client_dim),
            (select count(*) from core.client_hierarchy where hierarchy_depth = 0),
            (select count(*) from core.client_hierarchy
             where hierarchy_depth > 0 and ancestor_client_key = descendant_client_key)
        """,
    )
    assert depth_zero == clients
    assert self_ancestry == 0


def test_injected_parent_cycles_are_reported(built_warehouse):
    injected = json.loads((SAMPLE_DIR / "manifest.json").read_text())["defects"]["clients"]
    [(cycle_rows,)] = query(built_warehouse, "select count(*) from core.client_hierarchy_cycles")
    assert injected["parent_cycles"] >= 1
    assert cycle_rows >= 2 * injected["parent_cycles"]


def test_dedupe_evaluation_agrees_with_an_independent_pandas_count(built_warehouse):
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        xref = connection.sql("select source_client_id, client_key from core.client_xref").df()
    truth = pd.read_csv(SAMPLE_DIR / "ground_truth.csv", dtype=str)
    labelled = xref.merge(truth, left_on="source_client_id", right_on="client_id")

    def pairs(*keys: str) -> int:
        sizes = labelled.groupby(list(keys)).size()
        return int((sizes * (sizes - 1) // 2).sum())

    hits = pairs("client_key", "entity_id")
    predicted, actual = pairs("client_key"), pairs("entity_id")
    assert metric(built_warehouse, "true_positive_pairs") == hits
    assert metric(built_warehouse, "predicted_pairs") == predicted
    assert metric(built_warehouse, "true_pairs") == actual
    assert metric(built_warehouse, "pairwise_precision") == pytest.approx(hits / predicted)
    assert metric(built_warehouse, "pairwise_recall") == pytest.approx(hits / actual)
