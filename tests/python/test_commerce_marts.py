"""Commerce marts checked against independent pandas computations on the built sample.

The SQL is the implementation; these tests recompute the same numbers the obvious, slow way
(brute-force pair counting, per-client filtering in pandas) from `transactions_fact` and compare.
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from conftest import PROJECT_ROOT, run_dbt

PROJECT_VARS = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())["vars"]
EARLY_AS_OF = "2025-07-01"


def frame(duckdb_path: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return connection.sql(sql).df()


def product_lines(duckdb_path: Path) -> pd.DataFrame:
    """Product lines (postage and fees excluded) with the as-of date the warehouse was built for."""
    return frame(
        duckdb_path,
        """
        select lines.*, (select max(as_of_date) from core.rfm) as as_of_date
        from core.transactions_fact as lines
        where not lines.is_non_product
        """,
    )


def brute_force_rules(lines: pd.DataFrame, min_support, min_confidence, min_lift) -> pd.DataFrame:
    """Every product pair of every basket counted, no pruning; thresholds applied at the end."""
    purchases = lines[~lines["is_cancellation"] & (lines["invoice_date"] < lines["as_of_date"])]
    baskets = purchases.groupby("invoice_no")["product_key"].apply(lambda s: sorted(set(s)))
    total = len(baskets)
    product_counts = Counter(product for basket in baskets for product in basket)
    pair_counts = Counter(pair for basket in baskets for pair in combinations(basket, 2))
    rules = []
    for (first, second), together in pair_counts.items():
        for antecedent, consequent in ((first, second), (second, first)):
            support = together / total
            confidence = together / product_counts[antecedent]
            lift = confidence / (product_counts[consequent] / total)
            if support >= min_support and confidence >= min_confidence and lift >= min_lift:
                rules.append((antecedent, consequent, together, support, confidence, lift))
    columns = ["antecedent", "consequent", "pair_baskets", "support", "confidence", "lift"]
    return pd.DataFrame(rules, columns=columns).sort_values(["antecedent", "consequent"])


def test_cross_sell_rules_match_a_brute_force_count(built_warehouse):
    expected = brute_force_rules(
        product_lines(built_warehouse),
        PROJECT_VARS["cross_sell_min_support"],
        PROJECT_VARS["cross_sell_min_confidence"],
        PROJECT_VARS["cross_sell_min_lift"],
    ).reset_index(drop=True)
    actual = frame(
        built_warehouse,
        """
        select antecedent_product_key as antecedent, consequent_product_key as consequent,
            pair_baskets, support, confidence, lift
        from core.cross_sell_rules
        order by antecedent, consequent
        """,
    )
    assert len(expected) > 100, "the sample should yield enough rules to make this test mean much"
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, rtol=1e-9)


def test_recommendations_follow_the_clients_own_rules(built_warehouse):
    recommendations = frame(
        built_warehouse,
        """
        select recommendations.client_key, recommendations.recommendation_rank,
            recommendations.confidence, owned.purchase_invoices as antecedent_invoices
        from core.client_recommendations as recommendations
        left join core.client_product_relationships as owned
            on recommendations.client_key = owned.client_key
            and recommendations.because_of_product_key = owned.product_key
        """,
    )
    assert len(recommendations) > 0
    assert (recommendations["antecedent_invoices"] > 0).all(), "reason must be a product bought"
    ordered = recommendations.sort_values(["client_key", "recommendation_rank"])
    decreasing = ordered.groupby("client_key")["confidence"].apply(
        lambda s: s.is_monotonic_decreasing
    )
    assert decreasing.all()


@pytest.fixture(scope="module")
def early_warehouse(tmp_path_factory) -> Path:
    """The client marts rebuilt as of a date half a year before the end of the sample."""
    tmp_dir = tmp_path_factory.mktemp("early")
    run = run_dbt(
        [
            "build",
            "-s",
            "+client_features",
            "--resource-type",
            "seed",
            "model",
            "--vars",
            f"{{as_of_date: '{EARLY_AS_OF}'}}",
        ],
        tmp_dir,
    )
    assert run.returncode == 0, run.output[-5000:]
    return tmp_dir / "warehouse.duckdb"


def test_client_features_use_only_rows_before_the_as_of_date(early_warehouse):
    lines = product_lines(early_warehouse)
    assert (lines["as_of_date"] == pd.Timestamp(EARLY_AS_OF)).all()
    assert (lines["invoice_date"] >= lines["as_of_date"]).sum() > 1000, "later rows must exist"
    before = lines[lines["client_key"].notna() & (lines["invoice_date"] < lines["as_of_date"])]
    purchases = before[~before["is_cancellation"]]
    last_year = before[before["invoice_date"] >= pd.Timestamp("2024-07-01")]
    expected = pd.DataFrame(
        {
            "frequency": purchases.groupby("client_key")["invoice_no"].nunique(),
            "monetary": before.groupby("client_key")["net_amount"].sum().astype(float),
            "distinct_products": purchases.groupby("client_key")["product_key"].nunique(),
            "cancelled_invoices": before[before["is_cancellation"]]
            .groupby("client_key")["invoice_no"]
            .nunique(),
            "spend_last_12_months": last_year.groupby("client_key")["net_amount"]
            .sum()
            .astype(float),
        }
    )
    actual = frame(
        early_warehouse,
        """
        select client_key, frequency, cast(monetary as double) as monetary, distinct_products,
            cancelled_invoices, cast(spend_last_12_months as double) as spend_last_12_months
        from core.client_features
        where frequency > 0 or cancelled_invoices > 0
        """,
    ).set_index("client_key")
    expected = expected.fillna(0).reindex(actual.index)
    assert len(actual) > 1000
    pd.testing.assert_frame_equal(
        actual.sort_index(), expected.sort_index(), check_dtype=False, check_like=True, atol=0.01
    )


def test_monthly_metrics_reconcile_with_transaction_lines(built_warehouse):
    lines = product_lines(built_warehouse)
    lines = lines[lines["invoice_date"] < lines["as_of_date"]]
    month = lines["invoice_date"].dt.strftime("%Y-%m")
    purchases = lines[~lines["is_cancellation"]]
    first_month = purchases.groupby("client_key")["invoice_date"].min().dt.strftime("%Y-%m")
    expected = pd.DataFrame(
        {
            "net_revenue": lines.groupby(month)["net_amount"].sum().astype(float),
            "purchase_invoices": purchases.groupby(month)["invoice_no"].nunique(),
            "active_clients": purchases.groupby(month)["client_key"].nunique(),
            "new_clients": first_month.value_counts(),
        }
    ).fillna(0)
    actual = frame(
        built_warehouse,
        """
        select strftime(month_start, '%Y-%m') as month,
            cast(net_revenue as double) as net_revenue, purchase_invoices, active_clients,
            new_clients
        from core.business_metrics_monthly
        """,
    )
    actual = actual.set_index("month")
    assert len(actual) == 36
    pd.testing.assert_frame_equal(
        actual.sort_index(),
        expected.sort_index(),
        check_dtype=False,
        check_index_type=False,
        check_names=False,
        atol=0.01,
    )
