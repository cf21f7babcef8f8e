"""A warehouse file taken through the deliveries of customer_analytics.deliveries as a daily job
would build them, and a fresh file with one full build of the last delivery, for
test_delivery_sequence (DuckDB) and test_emulated_sequence (the same deliveries on fakesnow).

The daily file's builds: the first delivery; a what-if build at an earlier date; the second
delivery, with its reference-seed changes; the correction, which moves the as-of date back; the
second delivery again with --full-refresh; the correction again. Each must pass with all its
data tests. What the tests look at is kept in `seen`; the Python models' tables of the first
delivery and of the correction are written to parquet, since the emulator cannot run them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from conftest import SAMPLE_DIR, copy_project, run_dbt
from published_reader import content_hashes

from customer_analytics.deliveries import (
    REKEYED_CLIENT,
    REMOVED_CLIENT,
    WHITELISTED_CLIENT,
    change_reference_seeds,
    write_deliveries,
)

WHAT_IF_DATE = "2025-06-01"
HISTORY_RELATIONS = ("stage.assignment_history", "stage.client_history")
PYTHON_MODELS = [
    "int_clients_clustered",
    "int_client_clv",
    "int_client_churn",
    "int_client_segments",
]


class Warehouse:
    """One DuckDB file built by dbt from a copy of the project, as a scheduler would."""

    def __init__(self, project: Path, tmp: Path, path: Path):
        self.project, self.tmp, self.path = project, tmp, path
        path.parent.mkdir(parents=True, exist_ok=True)

    def build(self, raw_dir: Path, *args: str, vars_: str = "", expect_ok: bool = True) -> str:
        # Unit tests are left out: they do not read the delivery, and the built_warehouse
        # fixture runs them.
        run = run_dbt(
            ["build", "--project-dir", str(self.project), "--exclude-resource-type", "unit_test",
             *args, "--vars", f"{{raw_data_dir: '{raw_dir}'{', ' + vars_ if vars_ else ''}}}"],
            self.tmp, self.path, cwd=self.project,
        )  # fmt: skip
        if expect_ok:
            assert run.returncode == 0, run.output[-6000:]
        return run.output

    def hashes(self, *relations: str) -> dict[str, tuple]:
        schemas = tuple(sorted({relation.split(".")[0] for relation in relations}))
        found = content_hashes(self.path, schemas)
        return {relation: found[relation] for relation in relations}

    def rows(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as connection:
            return connection.sql(sql).fetchall()

    def key_of(self, client_id: str) -> str:
        [(key,)] = self.rows(
            f"select client_key from core.client_xref where source_client_id = '{client_id}'"
        )
        return key

    def export_python_models(self, target: Path) -> Path:
        """The Python models' tables as parquet, with the upper-case column names Snowpark
        stores them under."""
        target.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(self.path), read_only=True) as connection:
            for table in PYTHON_MODELS:
                columns = connection.execute(
                    "select column_name from information_schema.columns where table_schema ="
                    " 'stage' and table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
                select_list = ", ".join(f'"{name}" as "{name.upper()}"' for (name,) in columns)
                connection.execute(
                    f"copy (select {select_list} from stage.{table})"
                    f" to '{target / table}.parquet' (format parquet)"
                )
        return target


@dataclass
class Sequence:
    daily: Warehouse
    full: Warehouse
    deliveries: dict[str, Path]
    python_outputs: dict[str, Path]
    seen: dict = field(default_factory=dict)


def run_sequence(tmp: Path) -> Sequence:
    project = copy_project(tmp / "project")
    deliveries = write_deliveries(SAMPLE_DIR, tmp / "deliveries")
    daily = Warehouse(project, tmp, tmp / "daily" / "warehouse.duckdb")
    full = Warehouse(project, tmp, tmp / "full" / "warehouse.duckdb")
    outputs = tmp / "python_models"
    run = Sequence(daily, full, deliveries, {})
    seen = run.seen

    daily.build(deliveries["first"])
    run.python_outputs["first"] = daily.export_python_models(outputs / "first")
    seen["keys"] = {
        client_id: daily.key_of(client_id)
        for client_id in (REMOVED_CLIENT, REKEYED_CLIENT[0], WHITELISTED_CLIENT)
    }
    seen["history_after_first"] = daily.hashes(*HISTORY_RELATIONS)

    # What leads to the models that keep state (tag history) and to assignments_fact: the other
    # incremental tables do not read the as-of date, and every table model is rebuilt by the next
    # build.
    daily.build(
        deliveries["first"], "-s", "+tag:history", "+assignments_fact",
        vars_=f"as_of_date: '{WHAT_IF_DATE}'",
    )  # fmt: skip
    seen["history_after_what_if"] = daily.hashes(*HISTORY_RELATIONS)
    seen["what_if_current"] = daily.rows(
        "select distinct cast(valid_from as varchar) from core.assignments_fact where is_current"
    )

    change_reference_seeds(project)
    daily.build(deliveries["second"])
    seen["history_after_second"] = daily.hashes(*HISTORY_RELATIONS)
    seen["fact_after_second"] = daily.rows(
        "select client_key, territory_key, rule_id, valid_from, valid_to, end_reason, is_current"
        " from core.assignments_fact order by client_key, valid_from"
    )
    seen["client_history_after_second"] = daily.rows(
        "select client_key, email, recorded_as_of, is_retired from stage.client_history"
        " order by client_key, recorded_as_of"
    )
    seen["new_key"] = daily.key_of(REKEYED_CLIENT[2])

    seen["correction_output"] = daily.build(deliveries["correction"])
    seen["history_after_correction"] = daily.hashes(*HISTORY_RELATIONS)
    daily.build(deliveries["second"], "--full-refresh")
    seen["history_after_second_again"] = daily.hashes(*HISTORY_RELATIONS)
    daily.build(deliveries["correction"])

    full.build(deliveries["correction"])
    run.python_outputs["correction"] = full.export_python_models(outputs / "correction")
    return run
