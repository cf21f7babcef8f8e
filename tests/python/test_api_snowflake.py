"""The API's Snowflake backend without an account (customer_analytics.api.snowflake_reader):

- every statement it sends parses as Snowflake SQL, only reads `analytics.v_*` views (and, for
  the publish's identity, information_schema.databases), and takes request values only as bind
  parameters;
- it connects as the key's user with the key's role to the published database, with
  server-side binding (paramstyle qmark);
- run through a stand-in connector whose connections are DuckDB sessions of the published sample
  as that principal, its answers equal the DuckDB backend's: the same statements are valid
  against the real views' columns and give the same rows, filtered and masked by the views.

What Snowflake itself would do with them (grants, policies, CURRENT_USER()) is not run here.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from customer_analytics.api.duckdb_reader import read_snapshot
from customer_analytics.api.keys import Principal
from customer_analytics.api.queries import PER_REQUEST
from customer_analytics.api.snowflake_reader import (
    AS_OF_DATE,
    PUBLISHED_VERSION,
    PublishedSnowflake,
    SnowflakeSettings,
)
from customer_analytics.publish import publish_file

pytestmark = pytest.mark.snowflake

SETTINGS = SnowflakeSettings(
    account="acme-analytics",
    database="CUSTOMER_ANALYTICS",
    warehouse="REPORTING",
    private_key_dir=Path("/run/secrets/snowflake"),
)
CREATED = dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC)
CRM = Principal("CRM_ANALYST", "CRM_APP")
LEAD_UK = Principal("SALES_LEADERSHIP", "LEAD_UK")
INJECTED = "x' or '1'='1'; drop table analytics.v_client_360; --"


def all_statements() -> dict[str, str]:
    return {**PER_REQUEST, "published_version": PUBLISHED_VERSION, "as_of_date": AS_OF_DATE}


@pytest.mark.parametrize("name, sql", all_statements().items())
def test_each_statement_is_one_select_of_analytics_views(name, sql):
    (statement,) = sqlglot.parse(sql, read="snowflake")
    assert isinstance(statement, exp.Select | exp.Subquery), name
    for found in statement.find_all(exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create):
        pytest.fail(f"{name} writes: {found.sql()}")
    cte_names = {cte.alias for cte in statement.find_all(exp.CTE)}
    tables = {
        (table.db.lower(), table.name.lower())
        for table in statement.find_all(exp.Table)
        if table.name not in cte_names
    }
    if name == "published_version":
        assert tables == {("information_schema", "databases")}
    else:
        assert tables and all(db == "analytics" and t.startswith("v_") for db, t in tables), tables


class Recorder:
    """A stand-in for snowflake.connector: each connection is a DuckDB session of the published
    sample as the role and user it was opened with; every statement and its parameters are
    recorded."""

    def __init__(self, published: Path):
        self.published = published
        self.connections: list[dict] = []
        self.statements: list[tuple[str, tuple]] = []

    def connect(self, **arguments):
        self.connections.append(arguments)
        return RecordedConnection(self, arguments)


class RecordedConnection:
    def __init__(self, recorder: Recorder, arguments: dict):
        self.recorder = recorder
        self.session = duckdb.connect(str(recorder.published), read_only=True)
        self.session.execute("set variable analytics_role = ?", [arguments["role"]])
        self.session.execute("set variable analytics_user = ?", [arguments["user"]])

    def cursor(self):
        return RecordedCursor(self)

    def close(self):
        self.session.close()


class RecordedCursor:
    def __init__(self, connection: RecordedConnection):
        self.connection = connection
        self.description = None
        self._rows: list = []

    def execute(self, sql: str, params: tuple = ()):
        self.connection.recorder.statements.append((sql, tuple(params)))
        if sql == PUBLISHED_VERSION:  # DuckDB has no information_schema.databases
            self.description, self._rows = [("CREATED",)], [(CREATED,)]
            return self
        result = self.connection.session.execute(sql, list(params))
        self.description = [(column[0].upper(),) for column in result.description]
        self._rows = result.fetchall()
        return self

    def fetchall(self):
        return self._rows

    def close(self):
        pass


@pytest.fixture(scope="module")
def published(built_warehouse, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("api_snowflake") / "warehouse.duckdb"
    publish_file(built_warehouse, path)
    return path


def assert_same_rows(live: list[dict], remembered: list[dict]) -> None:
    """Equal rows, decimals (which the snapshot holds as floats) compared as numbers."""
    assert len(live) == len(remembered)
    for live_row, remembered_row in zip(live, remembered, strict=True):
        as_floats = {
            key: float(value) if isinstance(value, Decimal) else value
            for key, value in live_row.items()
        }
        assert as_floats == pytest.approx(remembered_row)


@pytest.mark.parametrize("principal", [CRM, LEAD_UK], ids=["crm", "lead_uk"])
def test_the_snowflake_reads_answer_as_the_duckdb_snapshot(published, principal):
    recorder = Recorder(published)
    reader = PublishedSnowflake(SETTINGS, connect=recorder.connect)
    view = reader.current_view(principal)
    snapshot = read_snapshot(published, principal)
    try:
        assert view.published_at == CREATED and view.as_of_date == snapshot.as_of_date
        keys = snapshot.profiles["client_key"].to_pylist()
        for key in keys[:: max(len(keys) // 8, 1)]:
            live, remembered = view.profile(key), snapshot.profile(key)
            for part in ("recommendations", "products"):
                assert_same_rows(live.pop(part), remembered.pop(part))
            assert_same_rows([live], [remembered])
        assert view.profile(INJECTED) is None and view.profile_json(INJECTED) is None
        body = json.loads(view.profile_json(keys[0]))
        assert body == json.loads(snapshot.profile_json(keys[0])), "the same profile body"
        assert_same_rows(view.at_risk(40), snapshot.at_risk(40))
        top, best = view.top_value(40), snapshot.top_value(40)
        assert [row["client_key"] for row in top] == [row["client_key"] for row in best]
        assert_same_rows(view.segments(), snapshot.segments())
        assert_same_rows(view.monthly(), snapshot.monthly())
        name = snapshot.profiles["client_name"][0].as_py()
        found, expected = view.search(name, 0, 5), snapshot.search(name, 0, 5)
        assert [r["client_key"] for r in found[1]] == [r["client_key"] for r in expected[1]]
    finally:
        reader.close()

    assert {(c["role"], c["user"]) for c in recorder.connections} == {
        (principal.role, principal.user)
    }
    for connection in recorder.connections:
        assert connection["database"] == SETTINGS.database
        assert connection["paramstyle"] == "qmark"
        assert connection["private_key_file"] == f"/run/secrets/snowflake/{principal.user}.p8"
    sent = {sql for sql, _ in recorder.statements}
    assert sent <= set(all_statements().values())
    assert all(INJECTED not in sql for sql in sent)
    assert (PER_REQUEST["profile"], (INJECTED,)) in recorder.statements
    for sql, params in recorder.statements:
        assert sql.count("?") == len(params), sql
