"""An invoice line dated after the delivery date (by default the run's date) is rejected as
implausible_invoice_date, so one line dated in the future cannot move the warehouse's as-of date.
That verdict depends on the run, not only on the line: base_crm__transactions is incremental, so
every run retypes the lines the current bounds could judge differently, and an incremental run
equals a full build at the same (pinned) delivery date, whichever way the date moves."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
from conftest import SAMPLE_DIR, run_dbt

RELATIONS = {
    "stage.base_crm__transactions": "row_hash, row_occurrence",
    "stage.stg_crm__transactions_rejected": "raw_row_id",
}
# The sample's lines end on 2025-12-31.
FUTURE_LINES = [
    ["900001", "85123A", "LATE LINE", "2", "2.55", "2026-03-15 10:00:00", "SF-0109817", ""],
    ["900001", "85123A", "LATE LINE", "2", "2.55", "2026-03-15 10:00:00", "SF-0109817", ""],
    ["900002", "85123A", "NEXT DAY", "1", "2.55", "2026-02-02 23:00:00", "SF-0109817", ""],
]


def relation_rows(duckdb_path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return {
            relation: connection.sql(f"select * from {relation} order by {key}").fetchall()
            for relation, key in RELATIONS.items()
        }


def verdicts(duckdb_path: Path) -> list[tuple]:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return connection.sql(
            "select invoice_no, row_occurrence, reject_reason from stage.base_crm__transactions"
            " where invoice_no like '9000%' order by all"
        ).fetchall()


def test_future_dated_lines_are_judged_again_on_every_incremental_run(tmp_path):
    raw_dir = tmp_path / "raw"
    shutil.copytree(SAMPLE_DIR, raw_dir)
    with (raw_dir / "transactions.csv").open("a", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(FUTURE_LINES)

    def load(duckdb_path: Path, delivery_date: str) -> dict[str, list[tuple]]:
        variables = json.dumps({"raw_data_dir": str(raw_dir), "delivery_date": delivery_date})
        run = run_dbt(
            ["run", "-s", "base_crm__transactions", "stg_crm__transactions_rejected",
             "--vars", variables],
            tmp_path,
            duckdb_path,
        )  # fmt: skip
        assert run.returncode == 0, run.output[-4000:]
        return relation_rows(duckdb_path)

    incremental = tmp_path / "incremental.duckdb"
    on_feb_1 = load(incremental, "2026-02-01")
    # The day after the delivery date is accepted (clocks ahead of UTC), later days are not.
    assert verdicts(incremental) == [
        ("900001", 1, "implausible_invoice_date"),
        ("900001", 2, "duplicate_row"),
        ("900002", 1, None),
    ]
    on_mar_20 = load(incremental, "2026-03-20")
    assert verdicts(incremental) == [
        ("900001", 1, None),
        ("900001", 2, "duplicate_row"),
        ("900002", 1, None),
    ]
    assert on_mar_20 == load(tmp_path / "full_mar_20.duckdb", "2026-03-20")
    # Pinned back to an earlier delivery, the staged lines dated after it are rejected again.
    assert load(incremental, "2026-02-01") == on_feb_1
