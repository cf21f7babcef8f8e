"""End-to-end: the committed sample builds, and every raw row is staged or rejected exactly once."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import SAMPLE_DIR, run_dbt

ENTITIES = ["clients", "products", "transactions"]


def count_csv_rows(path: Path) -> int:
    """Data rows of a CSV, counted by Python's csv module independently of DuckDB's reader."""
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def query(duckdb_path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return connection.sql(sql).fetchall()


@pytest.mark.parametrize("entity", ENTITIES)
def test_every_raw_row_is_staged_or_rejected(built_warehouse, entity):
    raw_rows = count_csv_rows(SAMPLE_DIR / f"{entity}.csv")
    [(staged,)] = query(built_warehouse, f"select count(*) from stage.stg_crm__{entity}")
    [(rejected,)] = query(built_warehouse, f"select count(*) from stage.stg_crm__{entity}_rejected")
    assert raw_rows > 0
    assert staged > 0
    assert staged + rejected == raw_rows


# Reject reason -> the generator's defect counter (manifest.json) that injects it.
DEFECT_OF_REASON = {
    "clients": {
        "duplicate_row": "exact_duplicate_rows",
        "missing_client_name": "missing_client_name",
        "duplicate_client_id": "conflicting_client_id",
    },
    "products": {
        "duplicate_row": "exact_duplicate_rows",
        "invalid_unit_price": "invalid_unit_price",
        "non_positive_unit_price": "non_positive_unit_price",
        "invalid_launch_date": "invalid_launch_date",
        "duplicate_stock_code": "conflicting_stock_code",
    },
    "transactions": {
        "duplicate_row": "exact_duplicate_rows",
        "missing_client_id": "missing_client_id",
        "non_positive_unit_price": "non_positive_unit_price",
        "invalid_invoice_date": "invalid_invoice_date",
        "invalid_quantity": "invalid_quantity",
        "invalid_unit_price": "invalid_unit_price",
        "negative_quantity_without_cancellation": "negative_quantity_without_cancellation",
    },
}


@pytest.mark.parametrize("entity", ENTITIES)
def test_injected_defects_are_rejected_with_the_right_reason(built_warehouse, entity):
    """Each injected defect shows up under its reason. A row can carry two defects and gets the
    first failing check, so a reason may count a little less than was injected, never more."""
    injected = json.loads((SAMPLE_DIR / "manifest.json").read_text())["defects"][entity]
    rejected = dict(
        query(
            built_warehouse,
            f"select reject_reason, count(*) from stage.stg_crm__{entity}_rejected group by 1",
        )
    )
    assert set(rejected) == set(DEFECT_OF_REASON[entity])
    for reason, defect in DEFECT_OF_REASON[entity].items():
        assert 0.85 * injected[defect] <= rejected[reason] <= injected[defect], reason


# Quality flag (attribute, reason) -> the generator's defect counter of a malformed optional
# client attribute: such a client is staged with the attribute nulled, never rejected.
DEFECT_OF_CLIENT_FLAG = {
    ("date_of_birth", "unparseable"): "invalid_date_of_birth",
    ("annual_revenue", "unparseable"): "invalid_annual_revenue",
    ("client_type", "unknown_value"): "invalid_client_type",
}


def test_malformed_optional_client_attributes_are_flagged_not_rejected(built_warehouse):
    """The generator corrupts these on rows with no other defect, so each one is staged: the
    count per flag is exactly what was injected, and the nulled attribute is NULL."""
    injected = json.loads((SAMPLE_DIR / "manifest.json").read_text())["defects"]["clients"]
    flagged = {
        (attribute, reason): count
        for attribute, reason, count in query(
            built_warehouse,
            "select attribute, reason, flagged_rows from stage.stg_crm__clients_quality"
            " where flagged_rows > 0",
        )
    }
    assert flagged == {flag: injected[defect] for flag, defect in DEFECT_OF_CLIENT_FLAG.items()}
    for attribute, reason in DEFECT_OF_CLIENT_FLAG:
        [(rows, non_null)] = query(
            built_warehouse,
            f"select count(*), count({attribute}) from stage.stg_crm__clients"
            f" where quality_flags like '%{attribute}:{reason}%'",
        )
        assert (rows, non_null) == (injected[DEFECT_OF_CLIENT_FLAG[attribute, reason]], 0)


def test_reject_reasons_are_documented(built_warehouse):
    [(undocumented,)] = query(
        built_warehouse,
        """
        select count(*) from (
            select 'clients' as entity, reject_reason from stage.stg_crm__clients_rejected
            union all
            select 'products', reject_reason from stage.stg_crm__products_rejected
            union all
            select 'transactions', reject_reason from stage.stg_crm__transactions_rejected
        ) as rejected
        left join raw.reject_reasons as documented
            on rejected.entity = documented.entity
            and rejected.reject_reason = documented.reason_code
        where documented.reason_code is null
        """,
    )
    assert undocumented == 0


def test_cancellations_and_non_product_lines_are_kept_and_flagged(built_warehouse):
    injected = json.loads((SAMPLE_DIR / "manifest.json").read_text())["defects"]["transactions"]
    [(cancellations, non_product)] = query(
        built_warehouse,
        """
        select count(*) filter (where is_cancellation), count(*) filter (where is_non_product)
        from stage.stg_crm__transactions
        """,
    )
    assert 0.85 * injected["cancellation_lines"] <= cancellations <= injected["cancellation_lines"]
    assert 0.85 * injected["non_product_lines"] <= non_product <= injected["non_product_lines"]


def test_tables_land_only_in_the_product_schemas(built_warehouse):
    schemas = {
        schema
        for (schema,) in query(
            built_warehouse, "select distinct table_schema from information_schema.tables"
        )
    }
    assert {"raw", "stage"} <= schemas
    assert schemas <= {"raw", "stage", "core", "analytics"}


def test_cancellations_are_exactly_the_c_invoices_with_negative_quantities(built_warehouse):
    [(inconsistent,)] = query(
        built_warehouse,
        """
        select count(*) from stage.stg_crm__transactions
        where is_cancellation <> (invoice_no like 'C%') or is_cancellation <> (quantity < 0)
        """,
    )
    assert inconsistent == 0


def copy_sample(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for entity in ENTITIES:
        shutil.copy(SAMPLE_DIR / f"{entity}.csv", target / f"{entity}.csv")
    return target


def test_wrong_delimiter_fails_naming_file_and_columns(tmp_path):
    raw_dir = copy_sample(tmp_path / "raw")
    products = raw_dir / "products.csv"
    products.write_text(products.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")

    run = run_dbt(["build", "--vars", f"{{raw_data_dir: {raw_dir}}}"], tmp_path)

    assert run.returncode != 0
    assert f"{products}" in run.output
    assert "missing column(s): stock_code" in run.output
    assert "not comma-delimited" in run.output


def test_missing_column_fails_naming_file_and_column(tmp_path):
    raw_dir = copy_sample(tmp_path / "raw")
    transactions = raw_dir / "transactions.csv"
    with transactions.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    drop = rows[0].index("client_id")
    with transactions.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([row[:drop] + row[drop + 1 :] for row in rows])

    run = run_dbt(["build", "--vars", f"{{raw_data_dir: {raw_dir}}}"], tmp_path)

    assert run.returncode != 0
    assert (
        f"{transactions} (source crm.transactions) is missing column(s): client_id." in run.output
    )


def test_users_own_files_are_built_from_raw_data_dir(tmp_path):
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    header = {}
    for entity in ENTITIES:
        with (SAMPLE_DIR / f"{entity}.csv").open(newline="", encoding="utf-8") as handle:
            header[entity] = next(csv.reader(handle))
    rows = {
        "clients": [
            {"client_id": "U-1", "client_name": "Only Client", "client_type": "individual"}
        ],
        "products": [{"stock_code": "X1", "description": "thing", "unit_price": "2.50"}],
        "transactions": [
            {
                "invoice_no": "1",
                "stock_code": "X1",
                "quantity": "2",
                "unit_price": "2.50",
                "invoice_date": "2024-05-01 10:00:00",
                "client_id": "U-1",
            },
            {
                "invoice_no": "2",
                "stock_code": "X1",
                "quantity": "two",
                "unit_price": "2.50",
                "invoice_date": "2024-05-01 10:00:00",
                "client_id": "U-1",
            },
        ],
    }
    for entity in ENTITIES:
        with (raw_dir / f"{entity}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=header[entity])
            writer.writeheader()
            writer.writerows(rows[entity])
    duckdb_path = tmp_path / "user.duckdb"

    run = run_dbt(["build", "--vars", f"{{raw_data_dir: {raw_dir}}}"], tmp_path, duckdb_path)

    assert run.returncode == 0, run.output[-3000:]
    assert query(duckdb_path, "select client_id from stage.stg_crm__clients") == [("U-1",)]
    assert query(
        duckdb_path, "select quantity, reject_reason from stage.stg_crm__transactions_rejected"
    ) == [("two", "invalid_quantity")]


def test_snowflake_raw_load_copies_every_contract_file(tmp_path):
    run = run_dbt(["run-operation", "load_raw_from_stage", "--args", "{dry_run: true}"], tmp_path)

    assert run.returncode == 0, run.output[-3000:]
    for entity in ENTITIES:
        assert f"warehouse.raw.{entity}__loading from @raw.crm_stage/{entity}.csv" in run.output
        assert f"alter table warehouse.raw.{entity} swap with warehouse.raw.{entity}__loading" in (
            run.output
        )


def test_a_run_drops_relations_the_project_retired(built_warehouse, tmp_path):
    """A working file built before core.fct_transactions became core.transactions_fact keeps the
    old table; the next run drops it (on-run-start), so it is never published beside its
    successor."""
    working = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse, working)
    with duckdb.connect(str(working)) as connection:
        connection.execute("create table core.fct_transactions as select 1 as stale")
    run = run_dbt(["run", "-s", "int_as_of_date"], tmp_path, working)
    assert run.returncode == 0, run.output[-3000:]
    assert "Dropping" in run.output and "replaced by core.transactions_fact" in run.output
    tables = {
        name
        for (name,) in query(
            working, "select table_name from duckdb_tables() where schema_name = 'core'"
        )
    }
    assert "fct_transactions" not in tables
    assert "transactions_fact" in tables
