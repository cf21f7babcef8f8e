"""What readers get from a publish of the sample build:

- the published warehouse opens in DuckDB 1.1, the oldest client it is written for, which reads
  every relation of every schema, analytics views included, with the counts DuckDB 2 reads;
- each principal of the entitlements seed gets a file of plain tables holding exactly what that
  principal sees through the analytics views: its regions only, PII masked, no other schema, no
  view SQL, mode 0440; a principal dropped from the seed loses its file.
"""

from __future__ import annotations

import csv
import json
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_ROOT
from published_reader import hashes_of

from customer_analytics.compat import DEFAULT_CLIENT_VENV, OLDEST_CLIENT, ensure_client_venv
from customer_analytics.publish import publish_file

ENTITLEMENTS = PROJECT_ROOT / "seeds" / "security" / "region_entitlements.csv"
UK = "'UK & Ireland'"
# A row LEAD_UK must not see, per column: another region, or PII that is not masked.
LEAKS = {
    "region": f"region <> {UK}",
    "email": "email <> '***MASKED***'",
    "phone": "phone <> '***MASKED***'",
    "tax_id": "tax_id <> '***MASKED***'",
    "date_of_birth": "date_of_birth is not null",
}
COUNT_EVERY_RELATION = """
import json, sys, duckdb
connection = duckdb.connect(sys.argv[1], read_only=True)
# A slow count (a busy machine) would otherwise draw DuckDB's progress bar into stdout.
connection.execute("set enable_progress_bar = false")
role, user = sys.argv[2:4]
connection.execute(f"set variable analytics_role = '{role}'")
connection.execute(f"set variable analytics_user = '{user}'")
relations = connection.execute(
    "select table_schema, table_name from information_schema.tables order by 1, 2"
).fetchall()
def count(schema, name):
    try:
        return connection.execute(f'select count(*) from "{schema}"."{name}"').fetchall()[0][0]
    except duckdb.Error as error:
        if "may not read" not in str(error):
            raise
        return "refused"
print(json.dumps({
    "version": duckdb.__version__,
    "counts": {f"{schema}.{name}": count(schema, name) for schema, name in relations},
}))
"""
# Analytics views a SALES_LEADERSHIP principal may not read (their own readers rule).
NOT_FOR_SALES_LEADERSHIP = {"analytics.v_data_quality"}


def entitled_regions() -> dict[str, set[str]]:
    regions: dict[str, set[str]] = {}
    with ENTITLEMENTS.open(newline="") as handle:
        for row in csv.DictReader(handle):
            regions.setdefault(row["principal"].upper(), set()).add(row["region"])
    return regions


@pytest.fixture(scope="module")
def published(built_warehouse, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("published") / "warehouse.duckdb"
    principals = path.parent / "principals"
    principals.mkdir()
    (principals / "LEAD_GONE.duckdb").write_bytes(b"a principal since removed from the seed")
    publish_file(built_warehouse, path)
    return path


def counts_in(python: Path | str, database: Path, role: str, user: str = "") -> dict:
    run = subprocess.run(
        [str(python), "-c", COUNT_EVERY_RELATION, str(database), role, user],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


@pytest.mark.parametrize(("role", "user"), [("DATA_ENGINEER", ""), ("SALES_LEADERSHIP", "LEAD_UK")])
def test_duckdb_1_reads_every_relation_of_the_published_file(published, role, user):
    old_client = ensure_client_venv(PROJECT_ROOT / DEFAULT_CLIENT_VENV)
    old = counts_in(old_client, published, role, user)
    current = counts_in(sys.executable, published, role, user)
    assert old["version"] == OLDEST_CLIENT
    assert current["version"].startswith("2.")
    schemas = {name.split(".")[0] for name in old["counts"]}
    assert {"raw", "stage", "core", "analytics"} <= schemas
    assert old["counts"] == current["counts"]
    analytics = {name: n for name, n in old["counts"].items() if name.startswith("analytics.")}
    refused = {name for name, n in analytics.items() if n == "refused"}
    assert refused == (NOT_FOR_SALES_LEADERSHIP if role == "SALES_LEADERSHIP" else set())
    assert len(analytics) >= 9 and all(
        n > 0 for name, n in analytics.items() if name not in refused
    )


def test_duckdb_1_reads_a_principal_file(published):
    old_client = ensure_client_venv(PROJECT_ROOT / DEFAULT_CLIENT_VENV)
    principal_file = published.parent / "principals" / "LEAD_UK.duckdb"
    old = counts_in(old_client, principal_file, "SALES_LEADERSHIP", "LEAD_UK")
    assert old["version"] == OLDEST_CLIENT
    assert len(old["counts"]) >= 9 and all(n > 0 for n in old["counts"].values())


def test_each_principal_gets_a_file_and_nobody_else_does(published):
    files = {path.stem for path in (published.parent / "principals").glob("*.duckdb")}
    assert files == set(entitled_regions())
    assert "LEAD_GONE" not in files


def test_a_principal_file_holds_exactly_what_the_principal_sees(published):
    assert entitled_regions()["LEAD_UK"] == {"UK & Ireland"}
    principal_file = published.parent / "principals" / "LEAD_UK.duckdb"
    assert stat.S_IMODE(principal_file.stat().st_mode) == 0o440
    with duckdb.connect(str(principal_file), read_only=True) as connection:
        schemas = connection.execute(
            "select schema_name from duckdb_schemas() where not internal"
        ).fetchall()
        views = connection.execute("select view_name from duckdb_views() where not internal")
        assert views.fetchall() == []
        tables = connection.execute(
            "select schema_name, table_name from duckdb_tables() order by 2"
        ).fetchall()
        columns = connection.execute(
            "select table_name, column_name from duckdb_columns() where column_name in"
            " (select unnest($columns))",
            {"columns": list(LEAKS)},
        ).fetchall()
        relations = [f"analytics.{name}" for _, name in tables]
        seen = hashes_of(connection, relations)
        leaks = {
            (table, column): connection.execute(
                f"select count(*) from analytics.{table} where {LEAKS[column]}"
            ).fetchone()[0]
            for table, column in columns
        }
    assert [name for (name,) in schemas] == ["analytics"]
    assert {schema for schema, _ in tables} == {"analytics"}
    assert {"region", "email", "date_of_birth"} <= {column for _, column in columns}
    assert {key: n for key, n in leaks.items() if n} == {}

    with duckdb.connect(str(published), read_only=True) as connection:
        connection.execute("set variable analytics_role = 'SALES_LEADERSHIP'")
        connection.execute("set variable analytics_user = 'LEAD_UK'")
        through_views = hashes_of(connection, relations)
        views = connection.execute(
            "select view_name from duckdb_views() where schema_name = 'analytics'"
        ).fetchall()
    assert seen == through_views
    assert set(seen) == {f"analytics.{name}" for (name,) in views} - NOT_FOR_SALES_LEADERSHIP
    assert all(count > 0 for count, _ in seen.values())
