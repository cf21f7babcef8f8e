"""The SQL side of the warehouse built with dbt-snowflake against fakesnow, a local Snowflake
emulator: seeds, models, snapshots, unit and data tests, twice. The first build holds back the
last transaction lines, the second loads them, so it runs the incremental MERGE of
fct_transactions and the snapshot MERGEs on real changes. The Python models cannot run in the
emulator (no stored procedures): their tables are copied from the DuckDB build of the same
input, with the upper-case names Snowpark stores (test_python_models_run covers the models).
Then every core and analytics relation must hold as many rows as on DuckDB, except histories,
which the emulator's two builds on two deliveries have grown further than DuckDB's one build."""

from __future__ import annotations

import os
import shutil

import duckdb
import pytest
from conftest import DBT, SAMPLE_DIR, run_command
from fakesnow_emulator import (
    DATABASE,
    copy_relations,
    fakesnow_server,
    load_raw_files,
    query,
    write_profile,
)

pytestmark = pytest.mark.snowflake

# ground_truth is optional (the generator's answer key, scored by dedupe_evaluation).
RAW_TABLES = ["clients", "products", "transactions", "ground_truth"]
PYTHON_MODELS = [
    "int_clients_clustered",
    "int_client_clv",
    "int_client_churn",
    "int_client_segments",
]
HELD_BACK_LINES = 2000
BUILD_TIMEOUT_S = 420


def dbt_build(profiles_dir, tmp_dir, run: int) -> str:
    env = {
        **os.environ,
        "PYTHONWARNINGS": "ignore",
        "DBT_PROFILES_DIR": str(profiles_dir),
        "DBT_TARGET_PATH": str(tmp_dir / f"target_{run}"),
        "DBT_LOG_PATH": str(tmp_dir / f"logs_{run}"),
        "DBT_USE_COLORS": "false",
    }
    result = run_command(
        [str(DBT), "build", "--exclude", "path:python_models"], env, timeout=BUILD_TIMEOUT_S
    )
    assert result.returncode == 0, f"build {run} failed:\n{result.output[-6000:]}"
    return result.output


def hold_back_last_lines(source, target, lines: int) -> None:
    with source.open() as full, target.open("w") as held:
        rows = full.readlines()
        held.writelines(rows[: len(rows) - lines])


@pytest.fixture(scope="module")
def emulated(built_warehouse, tmp_path_factory):
    tmp_dir = tmp_path_factory.mktemp("fakesnow")
    first_delivery = tmp_dir / "raw_first"
    first_delivery.mkdir()
    for table in ["clients", "products", "ground_truth"]:
        shutil.copy(SAMPLE_DIR / f"{table}.csv", first_delivery)
    hold_back_last_lines(
        SAMPLE_DIR / "transactions.csv", first_delivery / "transactions.csv", HELD_BACK_LINES
    )
    with fakesnow_server(tmp_dir / "fakesnow.log") as port:
        profiles_dir = write_profile(tmp_dir / "profile", port)
        load_raw_files(port, first_delivery, RAW_TABLES)
        copy_relations(port, built_warehouse, "stage", PYTHON_MODELS, tmp_dir)
        first = dbt_build(profiles_dir, tmp_dir, 1)
        lines_after_first = query(port, f"select count(*) from {DATABASE}.core.fct_transactions")
        load_raw_files(port, SAMPLE_DIR, ["transactions"])
        second = dbt_build(profiles_dir, tmp_dir, 2)
        yield {
            "port": port,
            "outputs": (first, second),
            "lines_after_first": lines_after_first[0][0],
        }


def duckdb_relations(warehouse) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        connection.execute("set variable analytics_role = 'DATA_ENGINEER'")
        names = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_schema in ('core', 'analytics') order by 1"
        ).fetchall()
        return {
            name: connection.execute(f"select count(*) from {name}").fetchone()[0]
            for (name,) in names
        }


def test_both_builds_run_every_node_without_error(emulated):
    for output in emulated["outputs"]:
        summary = [line for line in output.splitlines() if "Done. PASS=" in line][-1]
        assert "ERROR=0" in summary and "SKIP=0" in summary, summary
        passed = int(summary.split("PASS=")[1].split()[0])
        assert passed > 300, summary  # the whole project, not an empty selection


def test_second_build_merges_the_new_lines_and_snapshots_again(emulated):
    first, second = emulated["outputs"]
    assert "OK created sql incremental model core.fct_transactions" in second
    assert "OK snapshotted stage.assignments_snapshot" in second
    lines_now = query(emulated["port"], f"select count(*) from {DATABASE}.core.fct_transactions")
    assert 0 < emulated["lines_after_first"] < lines_now[0][0]


HISTORIES = {"core.assignments_fact", "analytics.v_assignment_history"}


def test_every_core_and_analytics_relation_matches_the_duckdb_build(emulated, built_warehouse):
    expected = duckdb_relations(built_warehouse)
    assert len(expected) > 25 and expected.keys() >= HISTORIES
    actual = {
        name: query(emulated["port"], f"select count(*) from {DATABASE}.{name}")[0][0]
        for name in expected
    }
    for name in HISTORIES:
        assert actual.pop(name) >= expected.pop(name), name
    assert actual == expected


def test_revenue_and_rfm_segments_match_the_duckdb_build(emulated, built_warehouse):
    sql = {
        "revenue": "select round(sum(net_amount), 2) from {db}core.fct_transactions",
        "segments": "select segment_name, count(*) from {db}core.rfm group by 1 order by 1",
    }
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        on_duckdb = {key: connection.execute(q.format(db="")).fetchall() for key, q in sql.items()}
    on_emulator = {
        key: query(emulated["port"], q.format(db=f"{DATABASE}.")) for key, q in sql.items()
    }
    assert float(on_emulator["revenue"][0][0]) == pytest.approx(float(on_duckdb["revenue"][0][0]))
    assert on_emulator["segments"] == on_duckdb["segments"]
