"""The deliveries on Snowflake's SQL, built with dbt-snowflake against fakesnow, a local emulator
of Snowflake's protocol over DuckDB: the first delivery, then the correction (with the second
delivery's seed changes, removed and re-keyed clients), an incremental build that must pass every
test — through the incremental MERGEs, the history models' delete-and-append and the post-hooks.
Its relations must hold as many rows as the DuckDB full build of the same delivery
(delivery_sequence fixture), with the same revenue.

Marker emulator (`make test-emulator`, outside CI for its time): a second database in the
emulator gets one full build of the last delivery, and every core relation and the incremental
staging tables must hold the same rows in both.

The Python models cannot run in the emulator (no stored procedures): their tables after each
delivery are copied from the DuckDB builds, with the upper-case names Snowpark stores
(test_python_models_run covers the models)."""

from __future__ import annotations

import datetime
import os
from decimal import Decimal

import pytest
from conftest import DBT, copy_project, run_command
from delivery_sequence import PYTHON_MODELS
from fakesnow_emulator import DATABASE, connect, fakesnow_server, load_raw_files, write_profile

from customer_analytics.deliveries import change_reference_seeds

FULL_DATABASE = f"{DATABASE}_FULL"
RAW_TABLES = ["clients", "products", "transactions"]
STEPS = ["first", "correction"]
INCREMENTAL_STAGING = ["stage.base_crm__transactions", "stage.stg_crm__transactions_rejected"]
# What is compared where a relation's whole content would not be: assignments_fact's history is
# state grown by the steps, not a function of the last delivery, so only the current
# assignments must agree (score_drift likewise: its latest date); base_crm__transactions'
# raw_checksum is an unsigned 64-bit hash that fakesnow's server cannot send (its Arrow
# encoding stops at 2^63).
COMPARED = {
    "stage.base_crm__transactions": "select * exclude (raw_checksum) from {db}{relation}",
    "core.assignments_fact": (
        "select client_key, territory_key, advisor_key, tier, rule_id from {db}{relation}"
        " where is_current"
    ),
    "core.score_drift": (
        "select score_name, as_of_date, clients, scored_clients, mean_score, p50_score"
        " from {db}{relation} where as_of_date = (select max(as_of_date) from {db}{relation})"
    ),
}
# fakesnow's server returns a NULL TIMESTAMP_NTZ as 1970-01-01 00:00:00 (its in-process mode and
# the stored value are right). No staged timestamp can be that (dates before 1970-01-02 are
# rejected), so both sides read it as NULL.
EMULATOR_NULL_TIMESTAMP = datetime.datetime(1970, 1, 1)
BUILD_TIMEOUT_S = 600  # about 90 s alone; a loaded machine can take several times that


def dbt_build(project, profiles_dir, tmp, step: str) -> str:
    env = {
        **os.environ,
        "PYTHONWARNINGS": "ignore",
        "DBT_PROFILES_DIR": str(profiles_dir),
        "DBT_TARGET_PATH": str(tmp / f"target_{step}"),
        "DBT_LOG_PATH": str(tmp / f"logs_{step}"),
        "DBT_USE_COLORS": "false",
    }
    result = run_command(
        [str(DBT), "build", "--project-dir", str(project), "--exclude", "path:python_models"],
        env,
        cwd=project,
        timeout=BUILD_TIMEOUT_S,
    )
    assert result.returncode == 0, f"build of {step} failed:\n{result.output[-6000:]}"
    return result.output


def load_delivery(port: int, database: str, raw_dir, python_outputs) -> None:
    """RAW tables of a delivery, and the Python models' tables the DuckDB build made of it."""
    load_raw_files(port, raw_dir, RAW_TABLES, database)
    with connect(port) as connection:
        cursor = connection.cursor()
        cursor.execute(f"create schema if not exists {database}.stage")
        for table in PYTHON_MODELS:
            cursor.execute(
                f"create or replace table {database}.stage.{table} as "
                f"select * from read_parquet('{python_outputs / table}.parquet')"
            )


def comparable(value):
    """One spelling per value: numbers as floats (-0 as 0), dates and times in ISO form."""
    if value is None or value == EMULATOR_NULL_TIMESTAMP:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return float(value) + 0.0
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def contents(rows) -> list[tuple]:
    return sorted((tuple(comparable(value) for value in row) for row in rows), key=repr)


def same_value(expected, actual) -> bool:
    """Equal, or numbers within a cent (and 1e-9 relative). The emulator runs Snowflake's exact
    NUMBER arithmetic (avg, division) in DuckDB floats, whose sums depend on row order, so a value
    rounded to cents can land a cent apart between an incremental and a full build; on DuckDB
    the comparison is exact (test_delivery_sequence)."""
    if isinstance(expected, float) and isinstance(actual, float):
        return abs(expected - actual) <= 0.01 + 1e-9 * max(abs(expected), abs(actual))
    return expected == actual


def first_difference(expected: list[tuple], actual: list[tuple]):
    """None when the rows match (same count, each value the same), else an example."""
    if len(expected) != len(actual):
        return {"rows": (len(expected), len(actual))}
    for left, right in zip(expected, actual, strict=True):
        if len(left) != len(right) or not all(map(same_value, left, right)):
            return {"expected": left, "actual": right}
    return None


def select_all(relation: str, database: str | None = None) -> str:
    sql = COMPARED.get(relation, "select * from {db}{relation}")
    return sql.format(db=f"{database}." if database else "", relation=relation)


def relation_rows(port: int, database: str, relations: list[str]) -> dict[str, list[tuple]]:
    with connect(port) as connection:
        cursor = connection.cursor()
        return {
            name: contents(cursor.execute(select_all(name, database)).fetchall())
            for name in relations
        }


@pytest.fixture(scope="module")
def emulated(delivery_sequence, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fakesnow")
    project = copy_project(tmp / "project")
    change_reference_seeds(project)
    relations = [
        name
        for (name,) in delivery_sequence.full.rows(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_schema = 'core' order by 1"
        )
    ] + INCREMENTAL_STAGING
    deliveries, python_outputs = delivery_sequence.deliveries, delivery_sequence.python_outputs
    with fakesnow_server(tmp / "fakesnow.log") as port:
        daily = write_profile(tmp / "daily_profile", port)
        outputs = {}
        for step in STEPS:
            load_delivery(port, DATABASE, deliveries[step], python_outputs[step])
            outputs[step] = dbt_build(project, daily, tmp, step)
        with connect(port) as connection:
            revenue = (
                connection.cursor()
                .execute(f"select sum(net_amount) from {DATABASE}.core.transactions_fact")
                .fetchone()[0]
            )
        yield {
            "port": port, "project": project, "tmp": tmp, "relations": relations,
            "outputs": outputs, "rows": relation_rows(port, DATABASE, relations),
            "revenue": revenue,
        }  # fmt: skip


@pytest.fixture(scope="module")
def emulated_full(emulated, delivery_sequence):
    port, tmp = emulated["port"], emulated["tmp"]
    full = write_profile(tmp / "full_profile", port, FULL_DATABASE)
    load_delivery(
        port, FULL_DATABASE, delivery_sequence.deliveries["correction"],
        delivery_sequence.python_outputs["correction"],
    )  # fmt: skip
    output = dbt_build(emulated["project"], full, tmp, "full")
    return {"output": output, "rows": relation_rows(port, FULL_DATABASE, emulated["relations"])}


def passed_every_node(output: str) -> bool:
    summary = [line for line in output.splitlines() if "Done. PASS=" in line][-1]
    passed = int(summary.split("PASS=")[1].split()[0])
    return "ERROR=0" in summary and "SKIP=0" in summary and passed > 300


def test_every_delivery_builds_every_node_without_error(emulated):
    assert {step: passed_every_node(output) for step, output in emulated["outputs"].items()} == {
        step: True for step in STEPS
    }


def test_the_later_delivery_runs_incrementally(emulated):
    output = emulated["outputs"]["correction"]
    assert "OK created sql incremental model core.transactions_fact" in output
    assert "OK created sql incremental model stage.assignment_history" in output


def test_the_emulator_and_duckdb_agree_on_the_last_delivery(emulated, delivery_sequence):
    duckdb_full = delivery_sequence.full
    expected = {name: len(duckdb_full.rows(select_all(name))) for name in emulated["rows"]}
    actual = {name: len(rows) for name, rows in emulated["rows"].items()}
    assert actual == expected
    [(revenue,)] = duckdb_full.rows("select sum(net_amount) from core.transactions_fact")
    assert float(emulated["revenue"]) == pytest.approx(float(revenue))


@pytest.mark.emulator
def test_every_core_relation_equals_a_full_build_of_the_last_delivery(emulated, emulated_full):
    assert passed_every_node(emulated_full["output"])
    incremental, full = emulated["rows"], emulated_full["rows"]
    # Empty by design: the deliveries carry no ground truth and no steward decisions.
    assert len(full) > 25
    assert {name for name, rows in full.items() if not rows} == {
        "core.dedupe_evaluation",
        "core.identity_decision_outcomes",
    }
    differing = {
        name: difference
        for name in full
        if (difference := first_difference(full[name], incremental[name])) is not None
    }
    assert differing == {}
