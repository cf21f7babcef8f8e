"""What analysts get besides the views: file exports (always of the published warehouse), the
starter analyses, the docs site."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import sqlglot
from conftest import DBT, PROJECT_ROOT, dbt_env, run_command, run_dbt

from customer_analytics import export
from customer_analytics.publish import publish_file


def rows_in(duckdb_sql: str) -> list[tuple]:
    with duckdb.connect() as connection:
        return connection.sql(duckdb_sql).fetchall()


@pytest.fixture(scope="module")
def published(built_warehouse, tmp_path_factory) -> Path:
    """The sample build, published: what exports read."""
    path = tmp_path_factory.mktemp("published") / "warehouse.duckdb"
    publish_file(built_warehouse, path)
    return path


def view_rows(published: Path, view: str, role: str = "DATA_ENGINEER", user: str = "") -> int:
    with duckdb.connect(str(published), read_only=True) as connection:
        connection.execute(f"set variable analytics_role = '{role}'")
        connection.execute(f"set variable analytics_user = '{user}'")
        return connection.execute(f"select count(*) from analytics.{view}").fetchone()[0]


def test_make_export_reads_the_published_file_not_the_working_file(published, tmp_path):
    target = tmp_path / "client_360.parquet"
    absent_working = tmp_path / "never_built" / "warehouse.duckdb"
    run = run_command(
        ["make", "-s", "-o", ".venv/bin/dbt", "export", "VIEW=v_client_360", "FORMAT=parquet",
         f"EXPORT_OUT={target}"],
        {**dbt_env(tmp_path, absent_working), "PUBLISHED_DUCKDB_PATH": str(published)},
        PROJECT_ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.output[-3000:]
    assert rows_in(f"select count(*) from '{target}'") == [(view_rows(published, "v_client_360"),)]
    assert not absent_working.parent.exists()
    assert f"from {published}" in run.output


def test_export_as_a_role_keeps_its_filter_and_masking(published, tmp_path):
    target = tmp_path / "uk.csv"
    assert export.main(["--view", "v_client_360", "--format", "csv", "--role", "SALES_LEADERSHIP",
                        "--user", "lead_uk", "--published", str(published), "--out", str(target)]
                       ) == 0  # fmt: skip
    summary = rows_in(
        f"select list(distinct region), count(*) filter (where email <> '***MASKED***'), "
        f"count(*) from read_csv('{target}')"
    )
    uk_rows = view_rows(published, "v_client_360", "SALES_LEADERSHIP", "LEAD_UK")
    assert summary == [(["UK & Ireland"], 0, uk_rows)]


def test_export_writes_json_lines_with_every_row(published, tmp_path):
    target = tmp_path / "business.json"
    arguments = ["--view", "v_business_metrics", "--format", "json", "--out", str(target)]
    assert export.main([*arguments, "--published", str(published)]) == 0
    lines = target.read_text().splitlines()
    assert len(lines) == view_rows(published, "v_business_metrics") > 0
    assert "revenue" in " ".join(json.loads(lines[0]))


def test_an_export_that_finds_no_rows_fails_unless_allowed(tmp_path, capsys):
    published = tmp_path / "published" / "warehouse.duckdb"
    published.parent.mkdir()
    with duckdb.connect(str(published)) as connection:
        connection.execute("create schema core; create schema analytics")
        connection.execute("create table core.clients as select 'UK & Ireland' as region limit 0")
        connection.execute("create view analytics.v_clients as from warehouse.core.clients")
    target = tmp_path / "exports" / "clients.parquet"
    arguments = ["--view", "v_clients", "--published", str(published), "--out", str(target)]
    assert export.main(arguments) == 3
    assert "analytics.v_clients has no rows for DATA_ENGINEER" in capsys.readouterr().err
    assert not target.parent.exists()
    assert export.main([*arguments, "--allow-empty"]) == 0
    assert "EMPTY" in capsys.readouterr().out
    assert rows_in(f"select count(*) from '{target}'") == [(0,)]


def test_an_export_as_an_unknown_user_fails_in_one_line(published, tmp_path, capsys):
    target = tmp_path / "nobody.parquet"
    arguments = ["--view", "v_client_360", "--role", "SALES_LEADERSHIP", "--user", "LEAD_NOBODY",
                 "--published", str(published), "--out", str(target)]  # fmt: skip
    assert export.main(arguments) != 0
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_export_refuses_anything_but_analytics_views(published, capsys):
    assert export.main(["--view", "client_dim", "--published", str(published)]) == 1
    assert "exports analytics views only" in capsys.readouterr().err


def test_dbt_export_view_on_duckdb_points_to_the_published_export(built_warehouse, tmp_path):
    run = run_dbt(
        ["run-operation", "export_view", "--args", "{view: v_client_360, format: json}"],
        tmp_path,
        built_warehouse,
    )
    assert run.returncode != 0
    assert "python -m customer_analytics.export --view v_client_360 --format json" in run.output


@pytest.mark.snowflake
def test_snowflake_export_unloads_the_published_database(tmp_path):
    env = {
        **dbt_env(tmp_path),
        "DBT_TARGET": "snowflake",
        "SNOWFLAKE_ACCOUNT": "offline",
        "SNOWFLAKE_USER": "ci",
        "SNOWFLAKE_DATABASE": "CUSTOMER_ANALYTICS_AUDIT",
        "SNOWFLAKE_PUBLISHED_DATABASE": "CUSTOMER_ANALYTICS",
    }
    inline = ";\n".join(
        f"{{{{ snowflake_export_sql(ref('v_client_360'), '{file_format}') }}}}"
        for file_format in ("parquet", "csv", "json")
    )
    run = run_command(
        [str(DBT), "compile", "-q", "--no-populate-cache", "--vars", "{offline: true}",
         "--inline", inline],
        env,
    )  # fmt: skip
    assert run.returncode == 0, run.output[-3000:]
    statements = [s for s in sqlglot.parse(run.output, read="snowflake") if s is not None]
    assert len(statements) == 3
    tables = [table for statement in statements for table in statement.find_all(sqlglot.exp.Table)]
    sources = {table.sql("snowflake") for table in tables}
    assert "CUSTOMER_ANALYTICS.analytics.v_client_360" in sources
    assert not any("AUDIT" in source for source in sources)
    assert "object_construct(*)" in run.output.lower()


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


def test_docs_site_generates_with_views_exposures_and_plots(docs_site):
    target = docs_site.target
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    assert {"index.html", "manifest.json", "catalog.json"} <= {p.name for p in target.iterdir()}
    exposures = {node["name"] for node in manifest["exposures"].values()}
    assert exposures == {
        "client_360_dashboard",
        "territory_workload_dashboard",
        "business_health_dashboard",
        "retention_dashboard",
        "crm_read_api",
    }
    client_360 = "model.customer_analytics.v_client_360"
    assert client_360 in catalog["nodes"]
    lineage = manifest["parent_map"][client_360]
    assert "model.customer_analytics.client_scores" in lineage
