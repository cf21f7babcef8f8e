"""Row-level security and PII masking of the analytics views, proven on DuckDB.

Each test connects as an analyst would (a plain DuckDB connection, no dbt) and sets the
principal with SET VARIABLE, as a BI tool's connection init would.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

# view -> (region column or None, PII columns)
VIEWS = {
    "v_territory_summary": ("region", []),
    "v_client_assignments": ("region", ["email", "phone"]),
    "v_advisor_workload": ("region", ["advisor_email"]),
    "v_regional_performance": ("region", []),
    "v_client_hierarchy": ("region", []),
    "v_assignment_history": ("region", []),
    "v_client_360": ("region", ["email", "phone", "tax_id", "date_of_birth"]),
    "v_product_affinity": (None, []),
    "v_business_metrics": (None, []),
}
REGIONAL = [view for view, (region, _) in VIEWS.items() if region]


def connect_as(warehouse: Path, role: str | None, user: str | None = None):
    connection = duckdb.connect(str(warehouse), read_only=True)
    if role is not None:
        connection.execute("set variable analytics_role = ?", [role])
    if user is not None:
        connection.execute("set variable analytics_user = ?", [user])
    return connection


def count(connection, sql: str) -> int:
    return connection.execute(sql).fetchall()[0][0]


@pytest.fixture(scope="module")
def full_counts(built_warehouse) -> dict[str, int]:
    with connect_as(built_warehouse, "DATA_ENGINEER") as connection:
        return {view: count(connection, f"select count(*) from analytics.{view}") for view in VIEWS}


def test_every_view_has_rows_for_the_data_engineer(full_counts):
    assert all(rows > 0 for rows in full_counts.values()), full_counts


@pytest.mark.parametrize("view", VIEWS)
def test_crm_analyst_sees_every_row_unmasked(built_warehouse, full_counts, view):
    region, pii = VIEWS[view]
    with connect_as(built_warehouse, "CRM_ANALYST") as connection:
        assert count(connection, f"select count(*) from analytics.{view}") == full_counts[view]
        for column in pii:
            non_null, masked = connection.execute(
                f"select count({column}), "
                f"count(*) filter (where cast({column} as varchar) = '***MASKED***') "
                f"from analytics.{view}"
            ).fetchall()[0]
            assert non_null > 0 and masked == 0, column


@pytest.mark.parametrize("view", REGIONAL)
def test_sales_leadership_sees_only_its_region_with_pii_masked(built_warehouse, view):
    _, pii = VIEWS[view]
    with connect_as(built_warehouse, "SALES_LEADERSHIP", "lead_uk") as connection:
        regions = connection.execute(f"select distinct region from analytics.{view}").fetchall()
        assert regions == [("UK & Ireland",)]
        visible = count(connection, f"select count(*) from analytics.{view}")
    with connect_as(built_warehouse, "CRM_ANALYST") as connection:
        uk_rows = count(
            connection, f"select count(*) from analytics.{view} where region = 'UK & Ireland'"
        )
    assert visible == uk_rows > 0
    with connect_as(built_warehouse, "SALES_LEADERSHIP", "lead_uk") as connection:
        for column in pii:
            kind = connection.execute(
                f"select count(*), count({column}), "
                f"count(*) filter (where cast({column} as varchar) = '***MASKED***') "
                f"from analytics.{view}"
            ).fetchall()[0]
            rows, non_null, masked = kind
            assert masked == rows or non_null == 0, f"{column} not masked: {kind}"


def test_sales_leadership_with_several_regions_sees_exactly_those(built_warehouse):
    with connect_as(built_warehouse, "SALES_LEADERSHIP", "LEAD_EUROPE") as connection:
        seen = {
            row[0]
            for row in connection.execute(
                "select distinct region from analytics.v_client_360"
            ).fetchall()
        }
        entitled = {
            row[0]
            for row in connection.execute(
                "select region from raw.region_entitlements where principal = 'LEAD_EUROPE'"
            ).fetchall()
        }
    assert len(entitled) == 4
    assert seen == entitled


@pytest.mark.parametrize("role, user", [(None, None), ("INTERN", "lead_uk"), ("crm_analyst", None)])
@pytest.mark.parametrize("view", VIEWS)
def test_unknown_roles_see_nothing(built_warehouse, view, role, user):
    with connect_as(built_warehouse, role, user) as connection:
        assert count(connection, f"select count(*) from analytics.{view}") == 0


@pytest.mark.parametrize("view", REGIONAL)
def test_sales_leadership_without_entitlements_sees_no_regional_rows(built_warehouse, view):
    with connect_as(built_warehouse, "SALES_LEADERSHIP", "someone_else") as connection:
        assert count(connection, f"select count(*) from analytics.{view}") == 0
