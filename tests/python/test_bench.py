"""The benchmark's own moving parts on small inputs: the late-delivery file it appends, and the
pandas baseline, which must clean the committed sample exactly as staging does."""

from __future__ import annotations

import csv

import duckdb
from conftest import SAMPLE_DIR, load_python_file


def test_appended_delivery_adds_one_percent_new_invoices(tmp_path):
    bench = load_python_file("bench/run_benchmarks.py")
    raw = tmp_path / "raw"
    raw.mkdir()
    header = (
        "invoice_no,stock_code,description,quantity,unit_price,invoice_date,client_id,country\n"
    )
    body = "".join(
        f"{500 + i // 3},A{i},THING,1,2.5,2024-01-02 10:00,C{i % 7},France\n" for i in range(1000)
    )
    (raw / "transactions.csv").write_text(header + body)
    (raw / "clients.csv").write_text("client_id\nC1\n")

    appended = bench.with_appended_lines(raw, tmp_path / "appended", 0.01, seed=42)

    with (tmp_path / "appended" / "transactions.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert appended == 10 and len(rows) == 1010
    new_invoices = {int(row["invoice_no"]) for row in rows[1000:]}
    assert min(new_invoices) > 500 + 999 // 3 and len(new_invoices) == 2
    assert (tmp_path / "appended" / "clients.csv").read_text() == "client_id\nC1\n"
    assert b"\r" not in (tmp_path / "appended" / "transactions.csv").read_bytes()


def test_pandas_baseline_cleans_the_sample_like_staging(built_warehouse, tmp_path):
    baseline = load_python_file("bench/baseline/pandas_pipeline.py")
    result = baseline.run(SAMPLE_DIR, tmp_path / "work", seed=42)
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        staged, rejected = connection.execute(
            "select (select count(*) from stage.stg_crm__transactions),"
            " (select count(*) from stage.stg_crm__transactions_rejected)"
        ).fetchone()
    rows = result["rows"]
    assert rows["raw_transactions"] == 100_000
    assert (rows["clean_transactions"], rows["rejected_transactions"]) == (staged, rejected)
    assert 3 <= rows["segments"] <= 8 and set(result["steps"]) == {"load", "clean", "rfm", "kmeans"}
