"""base_crm__transactions and fct_transactions are incremental; an incremental run must give the
same rows as a full build of the same input, including lines that disappeared from a corrected raw
file and new copies of lines already loaded."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
from conftest import SAMPLE_DIR, copy_project, run_dbt


def write_lines(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


INCREMENTAL_RELATIONS = {
    "stage.base_crm__transactions": "raw_row_id",
    "stage.stg_crm__transactions_rejected": "raw_row_id",
    "core.fct_transactions": "transaction_line_key",
}


def relation_rows(duckdb_path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return {
            relation: connection.sql(f"select * from {relation} order by {key}").fetchall()
            for relation, key in INCREMENTAL_RELATIONS.items()
        }


def test_incremental_run_equals_full_build(tmp_path):
    project = copy_project(tmp_path / "project")
    raw_dir = tmp_path / "raw"
    shutil.copytree(SAMPLE_DIR, raw_dir)
    with (SAMPLE_DIR / "transactions.csv").open(newline="", encoding="utf-8") as handle:
        header, *lines = list(csv.reader(handle))
    first_load = lines[: int(len(lines) * 0.9)]
    removed = (10, 500, 5000)
    corrected = [line for index, line in enumerate(lines) if index not in removed] + [lines[20]]

    def build(duckdb_path: Path) -> None:
        run = run_dbt(
            ["build", "--project-dir", str(project), "--vars", f"{{raw_data_dir: {raw_dir}}}"],
            tmp_path,
            duckdb_path,
            cwd=project,
        )
        assert run.returncode == 0, run.output[-4000:]

    incremental_db, full_db = tmp_path / "incremental.duckdb", tmp_path / "full.duckdb"
    write_lines(raw_dir / "transactions.csv", header, first_load)
    build(incremental_db)
    rows_after_first_load = relation_rows(incremental_db)
    write_lines(raw_dir / "transactions.csv", header, corrected)
    build(incremental_db)
    build(full_db)

    incremental, full = relation_rows(incremental_db), relation_rows(full_db)
    for relation in INCREMENTAL_RELATIONS:
        assert 0 < len(rows_after_first_load[relation]) < len(full[relation]), relation
        assert incremental[relation] == full[relation], relation
    assert len(full["stage.base_crm__transactions"]) == len(corrected)
