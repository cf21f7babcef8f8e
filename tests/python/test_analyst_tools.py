"""What analysts get besides the views: file exports, the starter analyses, the docs site."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from conftest import run_dbt


def rows_in(duckdb_sql: str) -> list[tuple]:
    with duckdb.connect() as connection:
        return connection.sql(duckdb_sql).fetchall()


def test_export_view_writes_parquet_with_every_row(built_warehouse, tmp_path):
    target = tmp_path / "client_360.parquet"
    run = run_dbt(
        ["run-operation", "export_view", "--args", f"{{view: v_client_360, path: '{target}'}}"],
        tmp_path,
        built_warehouse,
    )
    assert run.returncode == 0, run.output[-3000:]
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        [(clients,)] = connection.sql("select count(*) from core.client_dim").fetchall()
    assert rows_in(f"select count(*) from '{target}'") == [(clients,)]


def test_export_as_a_role_keeps_its_filter_and_masking(built_warehouse, tmp_path):
    target = tmp_path / "uk.csv"
    run = run_dbt(
        [
            "run-operation",
            "export_view",
            "--args",
            f"{{view: v_client_360, format: csv, role: SALES_LEADERSHIP, user: lead_uk, "
            f"path: '{target}'}}",
        ],
        tmp_path,
        built_warehouse,
    )
    assert run.returncode == 0, run.output[-3000:]
    summary = rows_in(
        f"select list(distinct region), count(*) filter (where email <> '***MASKED***') "
        f"from read_csv('{target}')"
    )
    assert summary == [(["UK & Ireland"], 0)]


def test_export_refuses_anything_but_analytics_views(built_warehouse, tmp_path):
    run = run_dbt(
        ["run-operation", "export_view", "--args", "{view: client_dim}"], tmp_path, built_warehouse
    )
    assert run.returncode != 0
    assert "exports analytics views only" in run.output


@pytest.fixture(scope="module")
def compiled_analyses(built_warehouse, tmp_path_factory) -> Path:
    tmp_dir = tmp_path_factory.mktemp("analyses")
    run = run_dbt(["compile", "-s", "resource_type:analysis"], tmp_dir, built_warehouse)
    assert run.returncode == 0, run.output[-3000:]
    return tmp_dir / "target" / "compiled" / "customer_analytics" / "analyses"


@pytest.mark.parametrize(
    "analysis", ["data_quality_profile", "customer_product_coverage", "cohort_retention"]
)
def test_analyses_compile_and_run_on_the_warehouse(built_warehouse, compiled_analyses, analysis):
    sql = (compiled_analyses / f"{analysis}.sql").read_text()
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        result = connection.sql(sql).df()
    assert len(result) > 0
    if analysis == "data_quality_profile":
        totals = result.groupby("entity")["percent_of_raw"].sum()
        assert totals.round(0).eq(100).all(), totals
    if analysis == "cohort_retention":
        assert (result.loc[result["months_since_first"] == 0, "percent_retained"] == 100).all()


def test_docs_site_generates_with_views_exposures_and_plots(built_warehouse, tmp_path):
    run = run_dbt(["docs", "generate"], tmp_path, built_warehouse)
    assert run.returncode == 0, run.output[-3000:]
    target = tmp_path / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    assert {"index.html", "manifest.json", "catalog.json"} <= {p.name for p in target.iterdir()}
    exposures = {node["name"] for node in manifest["exposures"].values()}
    assert exposures == {
        "client_360_dashboard",
        "territory_workload_dashboard",
        "business_health_dashboard",
    }
    client_360 = "model.customer_analytics.v_client_360"
    assert client_360 in catalog["nodes"]
    lineage = manifest["parent_map"][client_360]
    assert "model.customer_analytics.client_scores" in lineage
