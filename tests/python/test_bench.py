"""The benchmarks' own moving parts on small inputs: the late-delivery file run_benchmarks.py
appends; the pandas baseline, which must clean the committed sample exactly as staging does; and
the dedupe benchmark's FEBRL files as raw files of our contract, its ground truth and its scores
(no download: FEBRL-shaped files are written here)."""

from __future__ import annotations

import csv

import duckdb
import pandas as pd
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


FEBRL_HEADER = (
    "rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state,"
    " date_of_birth, soc_sec_id\n"
)


def write_febrl(path, lines):
    path.write_text(FEBRL_HEADER + "".join(line + "\n" for line in lines))
    return path


def test_febrl_records_become_contract_rows_with_malformed_dates_kept(tmp_path):
    bench = load_python_file("bench/dedupe_benchmark.py")
    febrl = bench.read_febrl(
        write_febrl(
            tmp_path / "febrl.csv",
            [
                "rec-7-org, mitchell, green, 7, wallaby place, delmar, cleveland, 2119, sa,"
                " 19560409, 1804974",
                "rec-7-dup-0, mitchell, , , wallaby pl, , cleveland, 2119, sa, 19561392, 1804974",
                "rec-9-org, , , 3, light street, , , 3212, vic, , 5512",
            ],
        )
    )

    clients = bench.febrl_to_clients(febrl, "febrl3")

    with (SAMPLE_DIR / "clients.csv").open() as sample:
        assert list(clients.columns) == sample.readline().strip().split(",")
    assert clients["client_id"].tolist() == ["rec-7-org", "rec-7-dup-0", "rec-9-org"]
    assert clients["client_name"].tolist() == ["mitchell green", "mitchell", ""]
    assert clients["address_line"].tolist() == [
        "7 wallaby place delmar",
        "wallaby pl",
        "3 light street",
    ]
    assert clients["date_of_birth"].tolist() == ["1956-04-09", "19561392", ""]
    assert clients["tax_id"].tolist() == ["1804974", "1804974", "5512"]
    assert clients[["city", "postcode", "state"]].iloc[0].tolist() == ["cleveland", "2119", "sa"]
    assert set(clients["client_type"]) == {"individual"}
    assert set(clients["country"]) == {"Australia"}
    assert set(clients["source_system"]) == {"febrl3"}
    assert (clients[["email", "phone", "created_at", "updated_at"]] == "").all().all()


def test_febrl4_is_one_delivery_whose_truth_pairs_cross_the_two_files(tmp_path):
    bench = load_python_file("bench/dedupe_benchmark.py")
    row = "{}, ann, lee, 1, high st, , hobart, 7000, tas, 19700101, {}"
    files = {
        "dataset3": write_febrl(
            tmp_path / "3.csv",
            [
                row.format("rec-1-org", "11"),
                row.format("rec-1-dup-0", "11"),
                row.format("rec-12-org", "12"),
            ],
        ),
        "dataset4a": write_febrl(tmp_path / "4a.csv", [row.format("rec-5-org", "55")]),
        "dataset4b": write_febrl(tmp_path / "4b.csv", [row.format("rec-5-dup-0", "55")]),
    }

    datasets = bench.febrl_datasets(files)
    truths = {name: bench.febrl_truth(clients) for name, clients in datasets.items()}

    assert truths["febrl3"]["entity_id"].tolist() == ["rec-1", "rec-1", "rec-12"]
    assert datasets["febrl4"]["source_system"].tolist() == ["febrl4a", "febrl4b"]
    assert truths["febrl4"]["entity_id"].tolist() == ["rec-5", "rec-5"]
    assert (datasets["febrl3_no_tax_id"]["tax_id"] == "").all()
    assert (
        datasets["febrl3_no_tax_id"]
        .drop(columns="tax_id")
        .equals(datasets["febrl3"].drop(columns="tax_id"))
    )


def test_raw_dir_holds_the_contract_files_and_ground_truth(tmp_path):
    bench = load_python_file("bench/dedupe_benchmark.py")
    febrl = bench.read_febrl(
        write_febrl(tmp_path / "f.csv", ["rec-3-org, a, b, 1, x st, , y, 2000, nsw, 19800101, 9"])
    )
    clients = bench.febrl_to_clients(febrl, "febrl3")

    raw = bench.write_raw_dir(clients, bench.febrl_truth(clients), tmp_path / "raw")

    for name in ("clients.csv", "products.csv", "transactions.csv"):
        with (SAMPLE_DIR / name).open() as sample, (raw / name).open() as written:
            assert written.readline() == sample.readline()
    assert len((raw / "transactions.csv").read_text().splitlines()) == 2
    assert (raw / "ground_truth.csv").read_text().splitlines() == [
        "source_system,client_id,entity_id,entity_type",
        "febrl3,rec-3-org,rec-3,individual",
    ]


def test_pair_completeness_counts_each_true_pair_that_reaches_comparison_once():
    bench = load_python_file("bench/dedupe_benchmark.py")
    entity_of = pd.Series(
        {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "b2": "B", "c1": "C"}, name="entity_id"
    )
    pairs = pd.DataFrame(
        [("a1", "a2"), ("a2", "a1"), ("a3", "a1"), ("b1", "c1"), ("x9", "a1")],
        columns=["left", "right"],
    )

    found = bench.pair_completeness(pairs, entity_of)

    # True pairs: a1-a2, a1-a3, a2-a3, b1-b2; compared: a1-a2 (listed twice) and a1-a3.
    assert found == {"candidate_pairs": 4, "true_pairs_compared": 2, "pair_completeness": 0.5}


def test_pairwise_scores_on_a_hand_counted_clustering():
    bench = load_python_file("bench/dedupe_benchmark.py")
    # Truth: {1, 2, 3} and {4, 5}; predicted: {1, 2}, {3, 4, 5}.
    truth = pd.Series(["A", "A", "A", "B", "B"])
    predicted = pd.Series(["p", "p", "q", "q", "q"])

    scores = bench.pairwise_scores(predicted, truth)

    # Predicted pairs 1-2, 3-4, 3-5, 4-5; true pairs 1-2, 1-3, 2-3, 4-5; both: 1-2 and 4-5.
    assert (scores["predicted_pairs"], scores["true_pairs"], scores["true_positive_pairs"]) == (
        4,
        4,
        2,
    )
    assert (scores["precision"], scores["recall"], scores["f1"]) == (0.5, 0.5, 0.5)


def test_same_partition_ignores_cluster_names_but_not_membership():
    bench = load_python_file("bench/dedupe_benchmark.py")
    xref = pd.DataFrame({"client_id": ["a", "b", "c"], "cluster": ["k1", "k1", "k2"]})
    renamed = xref.assign(cluster=["z", "z", "y"])
    split = xref.assign(cluster=["z", "x", "y"])

    assert bench.same_partition(xref, renamed)
    assert not bench.same_partition(xref, split)
    assert not bench.same_partition(xref, renamed.iloc[:2])


def test_a_malformed_date_is_one_the_contract_cannot_read_not_an_empty_one():
    bench = load_python_file("bench/dedupe_benchmark.py")
    values = ["1956-04-09", " 1956-04-09 ", "", "  ", "19561392", "1955-11-92", "1956-4-9"]

    assert [bench.is_malformed_date(value) for value in values] == [
        False,
        False,
        False,
        False,
        True,
        True,
        True,
    ]
