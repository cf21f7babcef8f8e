"""Row filtering and PII masking of the analytics views on DuckDB, and their refusal to answer a
session that names no valid principal.

Each test connects as an analyst would (a plain DuckDB connection, no dbt) and sets the
principal with SET VARIABLE, as a BI tool's connection init would. None of this is access
control (anyone holding the file can set any role; docs/security.md): these tests prove that
cooperative tools get what their principal should see, and an error rather than an empty
result when the principal is missing or wrong.
"""

from __future__ import annotations

import shutil
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
    "v_retention_priorities": ("region", ["email", "phone"]),
    "v_product_affinity": (None, []),
    "v_business_metrics": (None, []),
    "v_segment_summary": (None, []),
    "v_client_recommendations": ("region", []),
    "v_client_products": ("region", []),
    "v_data_quality": (None, []),
}
REGIONAL = [view for view, (region, _) in VIEWS.items() if region]
# Views for some roles only (their grants on Snowflake); any other role is refused on DuckDB.
READERS = {"v_data_quality": ("DATA_ENGINEER", "CRM_ANALYST")}


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


def test_every_analytics_view_is_checked_here(built_warehouse):
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        views = {
            name
            for (name,) in connection.execute(
                "select view_name from duckdb_views() where schema_name = 'analytics'"
            ).fetchall()
        }
    assert views == set(VIEWS)


# Roles and users match in any case (the old views compared the role case-sensitively, so a
# lower-case 'crm_analyst' silently saw nothing).
@pytest.mark.parametrize("role", ["CRM_ANALYST", "crm_analyst"])
@pytest.mark.parametrize("view", VIEWS)
def test_crm_analyst_sees_every_row_unmasked(built_warehouse, full_counts, view, role):
    region, pii = VIEWS[view]
    with connect_as(built_warehouse, role) as connection:
        assert count(connection, f"select count(*) from analytics.{view}") == full_counts[view]
        for column in pii:
            non_null, masked = connection.execute(
                f"select count({column}), "
                f"count(*) filter (where cast({column} as varchar) = '***MASKED***') "
                f"from analytics.{view}"
            ).fetchall()[0]
            assert non_null > 0 and masked == 0, column


@pytest.mark.parametrize(
    "role, user", [("SALES_LEADERSHIP", "lead_uk"), ("Sales_Leadership", "LEAD_UK")]
)
@pytest.mark.parametrize("view", REGIONAL)
def test_sales_leadership_sees_only_its_region_with_pii_masked(built_warehouse, view, role, user):
    _, pii = VIEWS[view]
    with connect_as(built_warehouse, role, user) as connection:
        regions = connection.execute(f"select distinct region from analytics.{view}").fetchall()
        assert regions == [("UK & Ireland",)]
        visible = count(connection, f"select count(*) from analytics.{view}")
    with connect_as(built_warehouse, "CRM_ANALYST") as connection:
        uk_rows = count(
            connection, f"select count(*) from analytics.{view} where region = 'UK & Ireland'"
        )
    assert visible == uk_rows > 0
    with connect_as(built_warehouse, role, user) as connection:
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


# (role, user) -> the start of the error every analytics view answers with.
REFUSED = {
    (None, None): "analytics_role is not set: SET VARIABLE analytics_role = 'DATA_ENGINEER' | "
    "'CRM_ANALYST' | 'SALES_LEADERSHIP' (and analytics_user for SALES_LEADERSHIP)",
    ("", None): "analytics_role is not set: SET VARIABLE analytics_role",
    ("INTERN", "lead_uk"): "analytics_role 'INTERN' is not an analytics role: SET VARIABLE "
    "analytics_role = 'DATA_ENGINEER' | 'CRM_ANALYST' | 'SALES_LEADERSHIP'",
    ("SALES_LEADERSHIP", None): "analytics_user is not set: SALES_LEADERSHIP sees the regions "
    "of its user; SET VARIABLE analytics_user",
    ("sales_leadership", ""): "analytics_user is not set",
    ("SALES_LEADERSHIP", "someone_else"): "analytics_user 'SOMEONE_ELSE' has no region "
    "entitlements (seeds/security/region_entitlements.csv)",
}


def refusal(view: str, role: str | None, user: str | None) -> str:
    """The error `view` answers the session with: a view for some roles only names them first."""
    named = (role or "").strip().upper()
    roles = {"DATA_ENGINEER", "CRM_ANALYST", "SALES_LEADERSHIP"}
    if view in READERS and named in roles and named not in READERS[view]:
        return f"analytics_role '{named}' may not read {view}: it is for " + ", ".join(
            READERS[view]
        )
    return REFUSED[role, user]


def assert_refused(connection, sql: str, message: str) -> None:
    with pytest.raises(duckdb.InvalidInputException) as raised:
        connection.execute(sql).fetchall()
    assert message in str(raised.value), str(raised.value)


@pytest.mark.parametrize("role, user", REFUSED)
@pytest.mark.parametrize("view", VIEWS)
def test_a_session_without_a_valid_principal_is_refused_with_what_to_set(
    built_warehouse, view, role, user
):
    with connect_as(built_warehouse, role, user) as connection:
        assert_refused(
            connection, f"select count(*) from analytics.{view}", refusal(view, role, user)
        )
        assert_refused(connection, f"select * from analytics.{view}", refusal(view, role, user))


@pytest.mark.parametrize("user", ["LEAD_UK", "lead_europe"])
@pytest.mark.parametrize("view", READERS)
def test_a_view_for_some_roles_refuses_sales_leadership_even_without_rows(
    built_warehouse, view, user
):
    with connect_as(built_warehouse, "SALES_LEADERSHIP", user) as connection:
        for sql in (
            f"select count(*) from analytics.{view}",
            f"select * from analytics.{view} limit 0",
            f"select count(*) from analytics.{view} where false",
        ):
            assert_refused(connection, sql, refusal(view, "SALES_LEADERSHIP", user))


@pytest.mark.parametrize(
    "view", [view for view in VIEWS if view not in REGIONAL and view not in READERS]
)
def test_sales_leadership_sees_the_non_regional_views_whole(built_warehouse, full_counts, view):
    with connect_as(built_warehouse, "sales_leadership", "Lead_Europe") as connection:
        assert count(connection, f"select count(*) from analytics.{view}") == full_counts[view]


@pytest.fixture(scope="module")
def emptied_warehouse(built_warehouse, tmp_path_factory) -> Path:
    """A copy of the built warehouse whose core tables and the history v_data_quality reads hold
    no rows, so every view is empty."""
    copy = tmp_path_factory.mktemp("emptied") / built_warehouse.name
    shutil.copy(built_warehouse, copy)
    with duckdb.connect(str(copy)) as connection:
        tables = connection.execute(
            "select table_name from information_schema.tables"
            " where table_schema = 'core' and table_type = 'BASE TABLE'"
        ).fetchall()
        assert len(tables) > 10
        for (table,) in tables:
            connection.execute(f"delete from core.{table}")
        connection.execute("delete from stage.data_quality_history")
    return copy


@pytest.mark.parametrize("role, user", REFUSED)
@pytest.mark.parametrize("view", VIEWS)
def test_the_refusal_fires_on_an_empty_view_too(emptied_warehouse, view, role, user):
    with connect_as(emptied_warehouse, "DATA_ENGINEER") as connection:
        assert count(connection, f"select count(*) from analytics.{view}") == 0
    with connect_as(emptied_warehouse, role, user) as connection:
        assert_refused(
            connection, f"select count(*) from analytics.{view}", refusal(view, role, user)
        )
        assert_refused(connection, f"select * from analytics.{view}", refusal(view, role, user))


@pytest.mark.parametrize("view", VIEWS)
def test_the_role_is_checked_even_when_the_query_cannot_return_rows(built_warehouse, view):
    """The role check runs while DuckDB binds the query, so not even a plan that the optimizer
    reduces to nothing (limit 0, where false) escapes it."""
    with connect_as(built_warehouse, "INTERN") as connection:
        for sql in (
            f"select * from analytics.{view} limit 0",
            f"select count(*) from analytics.{view} where false",
        ):
            assert_refused(connection, sql, REFUSED["INTERN", "lead_uk"])
