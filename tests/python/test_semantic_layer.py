"""The semantic layer (models/semantic/_semantic__models.yml, docs/metrics.md) on the built sample.

Every metric, queried in-process through MetricFlow's Python API, equals the same figure computed
in plain SQL on the mart it summarises; there is a saved query for every dashboard declared as an
exposure, and each answers; `mf query` answers on the command line; the time spine covers every
date the metrics use. For Snowflake, offline: the semantic manifest `dbt parse` writes for the
Snowflake target validates, and the SQL MetricFlow renders for Snowflake from it parses as
Snowflake SQL and, translated back to DuckDB by sqlglot, gives the sample's answers.
"""

from __future__ import annotations

import csv
import datetime
import json
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import sqlglot
from conftest import DBT, copy_project, dbt_env, run_command
from metricflow.data_table.mf_table import MetricFlowDataTable
from metricflow.engine.metricflow_engine import MetricFlowEngine, MetricFlowQueryRequest
from metricflow.protocols.sql_client import SqlEngine
from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
from metricflow.sql.render.snowflake import SnowflakeSqlPlanRenderer
from metricflow_semantics.model.dbt_manifest_parser import (
    parse_manifest_from_dbt_generated_manifest,
)
from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup
from sqlglot import exp
from test_analytics_snowflake_security import dbt_snowflake_offline

MF = DBT.with_name("mf")
TOLERANCE = 0.005  # the marts keep money and order value to the cent (decimal(18,2))


class DuckDbClient:
    """MetricFlow's SqlClient over a read-only DuckDB connection: what `mf query` does through
    the dbt adapter, without starting dbt."""

    sql_engine_type = SqlEngine.DUCKDB
    sql_plan_renderer = DuckDbSqlPlanRenderer()

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection

    def query(self, stmt: str, sql_bind_parameter_set=None) -> MetricFlowDataTable:
        cursor = self.connection.execute(stmt)
        names = [column[0] for column in cursor.description]
        return MetricFlowDataTable.create_from_rows(column_names=names, rows=cursor.fetchall())

    def execute(self, stmt: str, sql_bind_parameter_set=None) -> None:
        self.connection.execute(stmt)

    def dry_run(self, stmt: str, sql_bind_parameter_set=None) -> None:
        self.connection.execute(f"explain {stmt}")

    def close(self) -> None:
        pass

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"


class OfflineSnowflakeClient:
    """A Snowflake SqlClient that never connects: MetricFlow renders Snowflake SQL with it
    (engine.explain) and any attempt to run something fails the test."""

    sql_engine_type = SqlEngine.SNOWFLAKE
    sql_plan_renderer = SnowflakeSqlPlanRenderer()

    def query(self, stmt: str, sql_bind_parameter_set=None):
        raise AssertionError(f"offline: nothing may run on Snowflake\n{stmt}")

    execute = dry_run = query

    def close(self) -> None:
        pass

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f":{bind_parameter_key}"


def load_semantic_manifest(target: Path):
    text = (target / "semantic_manifest.json").read_text()
    return parse_manifest_from_dbt_generated_manifest(manifest_json_string=text)


@pytest.fixture(scope="module")
def warehouse(built_warehouse):
    connection = duckdb.connect(str(built_warehouse), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def engine(built_warehouse, warehouse) -> MetricFlowEngine:
    manifest = load_semantic_manifest(built_warehouse.parent / "target")
    return MetricFlowEngine(SemanticManifestLookup(manifest), DuckDbClient(warehouse))


def plain(value):
    """A cell as a comparable Python value: numbers as float, days as date."""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


def ask(engine: MetricFlowEngine, metrics: list[str], group_by: list[str], where=None) -> dict:
    """{group-by values: {metric: value}} from MetricFlow."""
    request = MetricFlowQueryRequest.create(
        metric_names=metrics, group_by_names=group_by, where_constraints=where
    )
    table = engine.query(request).result_df
    keys = [table.column_names.index(name) for name in group_by]
    answer = {}
    for row in table.rows:
        key = tuple(plain(row[i]) for i in keys)
        assert key not in answer, f"two rows for {key}"
        answer[key] = {metric: plain(row[table.column_names.index(metric)]) for metric in metrics}
    return answer


def sql_answer(warehouse, sql: str) -> dict:
    """{values of the key_ columns: {other column: value}} from plain SQL."""
    cursor = warehouse.execute(sql)
    names = [column[0] for column in cursor.description]
    figures = [name for name in names if not name.startswith("key_")]
    answer = {}
    for row in cursor.fetchall():
        values = dict(zip(names, map(plain, row), strict=True))
        key = tuple(values[name] for name in names if name.startswith("key_"))
        answer[key] = {name: values[name] for name in figures}
    return answer


def differences(metric: str, got: dict, column: str, expected: dict, tolerance=TOLERANCE):
    """Where MetricFlow's metric and the mart's column disagree (missing rows included)."""
    wrong = {}
    for key in sorted(got.keys() | expected.keys(), key=str):
        value = got.get(key, {}).get(metric, "missing")
        truth = expected.get(key, {}).get(column, "missing")
        same = value == truth or (
            isinstance(value, float)
            and isinstance(truth, float)
            and abs(value - truth) <= tolerance + 1e-9
        )
        if not same:
            wrong[key] = (value, truth)
    return wrong


# Metric → column of core.business_metrics_monthly, month by month.
MONTHLY = {
    "revenue": "net_revenue",
    "gross_sales": "gross_sales",
    "cancelled_value": "cancelled_value",
    "orders": "purchase_invoices",
    "average_order_value": "average_order_value",
    "active_clients": "active_clients",
    "new_clients": "new_clients",
    "returning_clients": "returning_clients",
    "revenue_mom_growth": "revenue_mom_growth",
    "revenue_yoy_growth": "revenue_yoy_growth",
}
# Metric → column of core.segment_summary, segment by segment (segment__segment_name).
BY_SEGMENT = {
    "clients": "clients",
    "churn_rate": "mean_churn_probability",
    "mean_clv_12m": "mean_clv_12m",
    "revenue_share": "revenue_share",
}
# Checked against SQL on client_scores, client_dim, rfm and assignments_fact below.
ELSEWHERE = {"total_clv_12m", "assigned_clients", "reassignments"}


@pytest.fixture(scope="module")
def monthly(engine) -> dict:
    return ask(engine, list(MONTHLY), ["metric_time__month"])


@pytest.fixture(scope="module")
def monthly_mart(warehouse) -> dict:
    columns = ", ".join(MONTHLY.values())
    return sql_answer(
        warehouse, f"select month_start as key_month, {columns} from core.business_metrics_monthly"
    )


@pytest.mark.parametrize("metric", MONTHLY)
def test_monthly_metric_equals_business_metrics_monthly(monthly, monthly_mart, metric):
    """The mart rounds growth to 4 decimals. An offset metric also answers for the spine's
    months after the last sale (a month earlier had revenue, the month itself none): those rows
    have no revenue, and no growth."""
    tolerance = 0.00005 if metric.endswith("_growth") else TOLERANCE
    after_sales = {month: row for month, row in monthly.items() if month not in monthly_mart}
    assert all(row["revenue"] is None for row in after_sales.values())
    assert all(row[metric] in (None, 0) for row in after_sales.values())
    in_mart = {month: row for month, row in monthly.items() if month in monthly_mart}
    assert len(monthly_mart) >= 12
    assert differences(metric, in_mart, MONTHLY[metric], monthly_mart, tolerance) == {}


@pytest.fixture(scope="module")
def by_segment(engine) -> dict:
    return ask(engine, list(BY_SEGMENT), ["segment__segment_name"])


@pytest.fixture(scope="module")
def segment_mart(warehouse) -> dict:
    return sql_answer(
        warehouse,
        "select segment_name as key_segment, clients, revenue, mean_churn_probability,"
        " mean_clv_12m, revenue_share from core.segment_summary",
    )


@pytest.mark.parametrize("metric", BY_SEGMENT)
def test_segment_metric_equals_segment_summary(by_segment, segment_mart, metric):
    """The mart keeps the mean churn probability to 1e-9."""
    tolerance = 1e-8 if metric in ("churn_rate", "revenue_share") else TOLERANCE
    assert len(segment_mart) >= 2
    assert differences(metric, by_segment, BY_SEGMENT[metric], segment_mart, tolerance) == {}


def test_revenue_by_the_clients_segment_equals_segment_summary(engine, segment_mart):
    """Revenue of the lines of each segment's clients (transactions → client scores)."""
    got = ask(engine, ["revenue"], ["client__segment_name"])
    got.pop((None,))  # lines of unknown clients
    for key in segment_mart.keys() - got.keys():  # No Purchases: no lines
        got[key] = {"revenue": 0.0}
    assert differences("revenue", got, "revenue", segment_mart) == {}


def test_revenue_share_is_each_segments_spend_over_all_spend(by_segment, warehouse):
    """Recomputed from rfm and client_scores, not from segment_summary: the share's numerator
    and denominator are what docs/metrics.md says they are."""
    expected = sql_answer(
        warehouse,
        """
        select
            scores.segment_name as key_segment,
            sum(rfm.monetary) / (select sum(monetary) from core.rfm) as revenue_share
        from core.client_scores as scores
        inner join core.rfm as rfm on scores.client_key = rfm.client_key
        group by scores.segment_name
        """,
    )
    assert differences("revenue_share", by_segment, "revenue_share", expected, 1e-9) == {}
    assert sum(row["revenue_share"] for row in by_segment.values()) == pytest.approx(1)


def test_client_score_metrics_equal_client_scores(engine, warehouse):
    """Over all clients and per churn risk band, against client_scores itself."""
    metrics = ["churn_rate", "mean_clv_12m", "total_clv_12m", "clients"]
    for group_by, key_sql in [([], ""), (["client__churn_risk_band"], "churn_risk_band")]:
        got = ask(engine, metrics, group_by)
        expected = sql_answer(
            warehouse,
            f"""
            select
                {key_sql + " as key_band," if key_sql else ""}
                avg(churn_probability) as churn_rate,
                avg(clv_12m) as mean_clv_12m,
                sum(clv_12m) as total_clv_12m,
                count(*) as clients
            from core.client_scores
            {"group by " + key_sql if key_sql else ""}
            """,
        )
        for metric in metrics:
            assert differences(metric, got, metric, expected, 1e-6) == {}, (metric, group_by)


def test_clients_and_recent_revenue_by_region_equal_regional_performance(engine, warehouse):
    """Golden clients per region, and revenue in the 12 months before the as-of date per
    client region (the where filter on metric_time), against regional_performance."""
    mart = sql_answer(
        warehouse,
        "select region as key_region, clients, revenue_12m from core.regional_performance",
    )
    [(as_of,)] = warehouse.execute("select max(as_of_date) from core.client_scores").fetchall()
    window = [
        f"{{{{ TimeDimension('metric_time', 'day') }}}} >= '{as_of.replace(year=as_of.year - 1)}'",
        f"{{{{ TimeDimension('metric_time', 'day') }}}} < '{as_of}'",
    ]
    clients = ask(engine, ["clients"], ["client__region"])
    revenue = ask(engine, ["revenue"], ["client__region"], where=window)
    revenue.pop((None,), None)  # lines of unknown clients
    for key in mart.keys() - revenue.keys():  # regions without a line in the window
        revenue[key] = {"revenue": 0.0}
    assert len(mart) >= 3
    assert differences("clients", clients, "clients", mart) == {}
    assert differences("revenue", revenue, "revenue_12m", mart) == {}
    [(all_clients,)] = warehouse.execute("select count(*) from core.client_dim").fetchall()
    assert ask(engine, ["clients"], []) == {(): {"clients": float(all_clients)}}


def test_assignment_metrics_equal_advisor_workload_and_assignments_fact(engine, warehouse):
    by_advisor = ask(engine, ["assigned_clients"], ["advisor"])
    workload = sql_answer(
        warehouse,
        "select advisor_key as key_advisor, clients as assigned_clients"
        " from core.advisor_workload where clients > 0",
    )
    by_advisor.pop((None,), None)  # clients parked without an advisor (assignment_conflicts)
    assert len(workload) >= 5
    assert differences("assigned_clients", by_advisor, "assigned_clients", workload) == {}

    by_territory = ask(engine, ["assigned_clients"], ["territory__territory_name"])
    expected = sql_answer(
        warehouse,
        """
        select territories.territory_name as key_territory, count(*) as assigned_clients
        from core.assignments_fact as assignments
        inner join core.territory_dim as territories
            on assignments.territory_key = territories.territory_key
        where assignments.is_current
        group by territories.territory_name
        """,
    )
    assert differences("assigned_clients", by_territory, "assigned_clients", expected) == {}

    [(reassigned,)] = warehouse.execute(
        "select count(*) from core.assignments_fact where end_reason = 'reassigned'"
    ).fetchall()
    assert ask(engine, ["reassignments"], []) == {(): {"reassignments": float(reassigned)}}


def test_every_metric_is_checked_against_a_mart(built_warehouse):
    manifest = load_semantic_manifest(built_warehouse.parent / "target")
    defined = {metric.name for metric in manifest.metrics}
    assert defined == set(MONTHLY) | set(BY_SEGMENT) | ELSEWHERE


def test_there_is_a_saved_query_per_exposure_and_each_answers(built_warehouse, engine, warehouse):
    manifest = json.loads((built_warehouse.parent / "target" / "manifest.json").read_text())
    # Dashboards slice metrics; the CRM read API (an application) reads client rows instead.
    exposures = {
        node["name"] for node in manifest["exposures"].values() if node["type"] == "dashboard"
    }
    saved = {
        node["name"]: node["config"]["meta"].get("exposure")
        for node in manifest["saved_queries"].values()
    }
    assert exposures and set(saved.values()) == exposures
    for name in saved:
        result = engine.query(MetricFlowQueryRequest.create(saved_query_name=name)).result_df
        assert result.row_count > 0, name
    months = engine.query(
        MetricFlowQueryRequest.create(saved_query_name="business_health_monthly")
    ).result_df.column_values_iterator(0)
    mart_months = warehouse.execute(
        "select month_start from core.business_metrics_monthly order by month_start"
    ).fetchall()
    assert [plain(month) for month in months] == [month for (month,) in mart_months]


def test_date_dim_is_a_gap_free_spine_over_every_date_the_metrics_use(warehouse):
    days = warehouse.execute(
        "select date_day, iso_weekday, month_start, quarter_start, year_number"
        " from core.date_dim order by date_day"
    ).fetchall()
    first, last = days[0][0], days[-1][0]
    assert (first.month, first.day, last.month, last.day) == (1, 1, 12, 31)
    assert len(days) == (last - first).days + 1
    for day, weekday, month_start, quarter_start, year in days:
        assert (weekday, month_start, year) == (day.isoweekday(), day.replace(day=1), day.year)
        assert quarter_start == datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    [(earliest, latest, as_of)] = warehouse.execute(
        "select min(invoice_date), max(invoice_date),"
        " (select max(as_of_date) from core.client_scores) from core.transactions_fact"
    ).fetchall()
    assert first <= earliest and max(latest, as_of) <= last


def test_mf_query_answers_a_saved_query_on_the_command_line(built_warehouse, tmp_path, warehouse):
    """`mf query` as docs/metrics.md shows it, from a copy of the project (mf reads
    target/semantic_manifest.json under the project root), on the built file opened read-only."""
    project = copy_project(tmp_path / "project")
    (project / "target").mkdir()
    shutil.copy(built_warehouse.parent / "target" / "semantic_manifest.json", project / "target")
    out = tmp_path / "business_health_monthly.csv"
    env = {**dbt_env(tmp_path, built_warehouse, cwd=project), "DUCKDB_ACCESS_MODE": "read_only"}
    command = [str(MF), "query", "--saved-query", "business_health_monthly", "--csv", str(out)]
    run = run_command(command, env, cwd=project, timeout=300)
    assert run.returncode == 0 and out.exists(), run.output[-3000:]
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    got = {
        (datetime.date.fromisoformat(row["metric_time__month"][:10]),): {
            "revenue": float(row["revenue"]),
            "orders": float(row["orders"]),
        }
        for row in rows
    }
    mart = sql_answer(
        warehouse,
        "select month_start as key_month, net_revenue, purchase_invoices"
        " from core.business_metrics_monthly",
    )
    assert differences("revenue", got, "net_revenue", mart) == {}
    assert differences("orders", got, "purchase_invoices", mart) == {}


CORE_TABLES = {
    "transactions_fact", "client_dim", "rfm", "client_scores", "segment_summary",
    "assignments_fact", "product_dim", "territory_dim", "date_dim",
}  # fmt: skip


@pytest.fixture(scope="module")
def snowflake_manifest(tmp_path_factory):
    """The semantic manifest `dbt parse` writes for the Snowflake target, offline."""
    tmp_dir = tmp_path_factory.mktemp("semantic_snowflake")
    dbt_snowflake_offline(["parse", "-q"], tmp_dir)
    return tmp_dir / "target"


@pytest.mark.snowflake
def test_semantic_manifest_validates_for_snowflake(snowflake_manifest):
    from dbt_semantic_interfaces.implementations.semantic_manifest import (
        PydanticSemanticManifest,
    )
    from dbt_semantic_interfaces.validations.semantic_manifest_validator import (
        SemanticManifestValidator,
    )

    text = (snowflake_manifest / "semantic_manifest.json").read_text()
    raw = PydanticSemanticManifest.parse_raw(text)
    issues = SemanticManifestValidator[PydanticSemanticManifest]().validate_semantic_manifest(raw)
    assert [str(issue) for issue in issues.all_issues] == []
    relations = {model.node_relation.relation_name for model in raw.semantic_models}
    assert relations <= {f"CUSTOMER_ANALYTICS.core.{table}" for table in CORE_TABLES}
    [spine] = raw.project_configuration.time_spines
    assert spine.node_relation.relation_name == "CUSTOMER_ANALYTICS.core.date_dim"


def snowflake_requests(manifest) -> dict[str, MetricFlowQueryRequest]:
    """Every saved query, and every metric by month."""
    requests = {
        f"saved query {saved.name}": MetricFlowQueryRequest.create(saved_query_name=saved.name)
        for saved in manifest.saved_queries
    }
    for metric in manifest.metrics:
        requests[f"metric {metric.name}"] = MetricFlowQueryRequest.create(
            metric_names=[metric.name], group_by_names=["metric_time__month"]
        )
    return requests


def rows_of(values) -> list[tuple]:
    normal = [
        tuple(round(v, 6) if isinstance(v, float) else v for v in map(plain, row)) for row in values
    ]
    return sorted(normal, key=str)


@pytest.mark.snowflake
def test_snowflake_sql_parses_and_gives_the_duckdb_answers(snowflake_manifest, engine, warehouse):
    """MetricFlow's Snowflake renderer, with a client that never connects: each query's SQL
    parses with sqlglot's Snowflake dialect, reads only CORE tables of the Snowflake database,
    and, translated to DuckDB and run on the sample, returns what the DuckDB engine returns."""
    manifest = load_semantic_manifest(snowflake_manifest)
    offline = MetricFlowEngine(SemanticManifestLookup(manifest), OfflineSnowflakeClient())
    requests = snowflake_requests(manifest)
    assert len(requests) >= 20
    failures = {}
    for name, request in requests.items():
        sql = offline.explain(request).sql_statement.sql
        tree = sqlglot.parse_one(sql, read="snowflake", error_level=sqlglot.ErrorLevel.RAISE)
        tables = {
            (table.catalog, table.db, table.name)
            for table in tree.find_all(exp.Table)
            if table.db  # CTE references have no schema
        }
        if not tables or tables - {("CUSTOMER_ANALYTICS", "core", t) for t in CORE_TABLES}:
            failures[name] = f"reads {sorted(tables)}"
            continue
        for table in tree.find_all(exp.Table):
            if table.catalog == "CUSTOMER_ANALYTICS":
                table.set("catalog", exp.to_identifier("warehouse"))
        translated = warehouse.execute(tree.sql(dialect="duckdb")).fetchall()
        answered = engine.query(request).result_df.rows
        if rows_of(translated) != rows_of(answered):
            failures[name] = "answers differ from DuckDB's"
    assert failures == {}
