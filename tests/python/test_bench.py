"""The benchmarks' own moving parts on small inputs: the late-delivery file run_benchmarks.py
appends, its targets and report; the content hashes of bench/core_hashes.py; the pandas
baseline, which must clean the committed sample exactly as staging does; and the dedupe
benchmark's FEBRL files as raw files of our contract, its ground truth and its scores (no
download: FEBRL-shaped files are written here)."""

from __future__ import annotations

import csv
import json

import duckdb
import pandas as pd
import pytest
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
    # The +rfm path is compared with these steps: a renamed step would break the sum.
    bench = load_python_file("bench/run_benchmarks.py")
    assert set(bench.PANDAS_RFM_STEPS) == {"load", "clean", "rfm"}
    assert bench.rfm_steps_seconds(result["steps"]) == round(
        result["steps"]["load"] + result["steps"]["clean"] + result["steps"]["rfm"], 2
    )


def scale_result(full_s, rss_mb, rfm_path_s, pandas_steps, load_s):
    """One scale of a report as bench_scale writes it, with only the fields the report reads."""
    bench = load_python_file("bench/run_benchmarks.py")
    nodes = [
        {
            "node": "model.customer_analytics.int_clients_clustered",
            "status": "success",
            "seconds": 4.0,
        },
        {"node": "test.customer_analytics.unique_rfm_client_id", "status": "pass", "seconds": 0.5},
    ]
    run = {"node_seconds_by_type": {"model": 4.0, "test": 0.5}, "nodes": nodes}
    result = {
        "size": {"clients": 1, "transactions": 10_000_000},
        "rfm_path": {"wall_s": rfm_path_s, "peak_rss_mb": 900},
        "full_build": {"wall_s": full_s, "peak_rss_mb": rss_mb, **run},
        "incremental_transactions_load": {"wall_s": load_s},
        "build_after_append": {"wall_s": full_s - 10},
    }
    if pandas_steps:
        result["pandas_baseline"] = {
            "wall_s": sum(pandas_steps.values()),
            "rfm_steps_s": bench.rfm_steps_seconds(pandas_steps),
            "steps": pandas_steps,
        }
    return result


def test_checks_judge_each_performance_target_at_its_bound():
    bench = load_python_file("bench/run_benchmarks.py")
    pandas = {"load": 10.0, "clean": 55.0, "rfm": 5.0, "kmeans": 30.0}
    scales = {
        # 90 s and 3 GB exactly meet their bounds; 70 s of pandas over 20 s is 3.5 times.
        "L": scale_result(90.0, 3072, 20.0, pandas, 9.5),
        "XL": scale_result(500.0, 3200, 80.0, None, 40.0),
    }

    found = bench.checks(scales)

    assert found == {
        "L_build_s": [90.0, True],
        "L_rfm_path_s": [20.0, True],
        "L_rfm_speedup": [3.5, True],
        "L_peak_rss_gb": [3.0, True],
        "L_increment_share": [0.106, False],
        "XL_peak_rss_gb": [3.12, False],
        "XL_over_L": [5.56, False],
    }
    assert found.keys() == bench.TARGETS.keys()
    # The kmeans step is not part of what the +rfm path does.
    assert scales["L"]["pandas_baseline"]["rfm_steps_s"] == 70.0

    slower = bench.checks({"L": scale_result(90.1, 3100, 25.1, pandas, 9.0)})
    assert {name: met for name, (_, met) in slower.items()} == {
        "L_build_s": False,
        "L_rfm_path_s": False,
        "L_rfm_speedup": False,
        "L_peak_rss_gb": False,
        "L_increment_share": True,
    }


def test_a_stopped_xl_run_misses_its_target_and_the_rest_is_not_measured():
    bench = load_python_file("bench/run_benchmarks.py")
    xl = {"size": bench.SCALES["XL"], "failed": "dbt build failed with 1, peak RSS 9,000 MB"}
    scales = {"L": scale_result(80.0, 2048, 20.0, None, 5.0), "XL": xl}

    found = bench.checks(scales)

    assert found["L_rfm_speedup"] == [None, None]  # no baseline at L in this report
    assert found["XL_peak_rss_gb"] == [None, False]
    assert found["XL_over_L"] == [None, None]
    report = bench.markdown({"scales": scales, "checks": found})
    assert "At XL the run stopped: dbt build failed with 1, peak RSS 9,000 MB" in report
    assert "- XL_peak_rss_gb: — (target ≤ 3), **missed**" in report
    assert "- L_rfm_speedup: — (target ≥ 3.5), not measured" in report
    assert "| XL |" not in report


def test_markdown_puts_the_rfm_path_beside_the_pandas_steps_that_do_the_same():
    bench = load_python_file("bench/run_benchmarks.py")
    pandas = {"load": 1.0, "clean": 4.0, "rfm": 1.0, "kmeans": 2.0}
    scales = {"S": scale_result(30.0, 500, 12.0, pandas, 6.0)}

    report = bench.markdown({"scales": scales, "checks": bench.checks(scales)})

    lines = report.splitlines()
    # The main table: the whole baseline (8 s) over the full build (30 s).
    assert "| S | 10,000,000 | 30.0 | 500 | 4.0 | 6.0 | 20.0 | 8.0 | 0.27 |" in lines
    # The +rfm path: load + clean + rfm (6 s) over the path's 12 s.
    assert "| S | 12.0 | 900 | 6.0 | 0.5 |" in lines
    assert "`dbt build --select +rfm --resource-type seed model`" in report
    assert lines[-1] == "Targets: judged at L and XL, neither of which ran."


# --- bench/core_hashes.py on small DuckDB files -------------------------------------------------

ROWS = [(1, "ann", 10.5, None), (2, None, 0.0, "2024-01-02"), (3, "cy", -4.25, "2024-03-04")]


def warehouse_with(path, rows, columns="id integer, name varchar, amount decimal(18, 2), day date"):
    """A `core` schema with one table of these rows and a view that, like the analytics views,
    answers only when the session names a role."""
    with duckdb.connect(str(path)) as connection:
        connection.execute(f"create schema core; create table core.lines ({columns})")
        connection.executemany(
            "insert into core.lines by name select ? as id, ? as name, ? as amount, ? as day", rows
        )
        connection.execute(
            "create view core.guarded as select id, amount from core.lines"
            " where getvariable('analytics_role') = 'DATA_ENGINEER'"
        )
    return path


def test_core_hashes_ignore_row_order_and_see_one_changed_value(tmp_path):
    hashes = load_python_file("bench/core_hashes.py")
    first = hashes.relation_hashes(warehouse_with(tmp_path / "a.duckdb", ROWS))
    reordered = hashes.relation_hashes(warehouse_with(tmp_path / "b.duckdb", ROWS[::-1]))
    changed_rows = [ROWS[0], (2, None, 0.01, "2024-01-02"), ROWS[2]]
    changed = hashes.relation_hashes(warehouse_with(tmp_path / "c.duckdb", changed_rows))
    # A NULL is a value of its own: '' instead of it changes the hash.
    emptied = [ROWS[0], (2, "", 0.0, "2024-01-02"), ROWS[2]]
    no_null = hashes.relation_hashes(warehouse_with(tmp_path / "d.duckdb", emptied))

    assert first["relations"] == reordered["relations"]
    assert first["relations"]["core.guarded"]["rows"] == 3  # the view answered
    assert hashes.differences(first, reordered) == []
    assert hashes.differences(changed, first) == [
        "core.guarded: hash differ (rows 3 vs 3)",
        "core.lines: hash differ (rows 3 vs 3)",
    ]
    assert hashes.differences(no_null, first) == ["core.lines: hash differ (rows 3 vs 3)"]


def test_core_hashes_see_a_duplicated_row_and_the_columns_order_and_types(tmp_path):
    hashes = load_python_file("bench/core_hashes.py")
    first = hashes.relation_hashes(warehouse_with(tmp_path / "a.duckdb", ROWS))
    twice = hashes.relation_hashes(warehouse_with(tmp_path / "b.duckdb", ROWS + ROWS[:1]))
    swapped = warehouse_with(
        tmp_path / "c.duckdb", ROWS, "name varchar, id integer, amount decimal(18, 2), day date"
    )
    wider = warehouse_with(
        tmp_path / "d.duckdb", ROWS, "id bigint, name varchar, amount decimal(18, 2), day date"
    )

    assert hashes.differences(twice, first)[1] == "core.lines: rows, hash differ (rows 4 vs 3)"
    assert hashes.differences(hashes.relation_hashes(swapped), first) == [
        "core.lines: hash, columns differ (rows 3 vs 3)"
    ]
    # DuckDB hashes 1::bigint like 1::integer: only the column list tells them apart.
    assert hashes.differences(hashes.relation_hashes(wider), first) == [
        "core.guarded: columns differ (rows 3 vs 3)",
        "core.lines: columns differ (rows 3 vs 3)",
    ]


def test_core_hashes_compare_exits_non_zero_on_any_difference(tmp_path, capsys):
    hashes = load_python_file("bench/core_hashes.py")
    before = warehouse_with(tmp_path / "before.duckdb", ROWS)
    saved = tmp_path / "before.json"
    assert hashes.main([str(before), "--json", str(saved)]) == 0
    after = warehouse_with(tmp_path / "after.duckdb", ROWS[::-1])
    with duckdb.connect(str(after)) as connection:
        connection.execute("create table core.extra as select 1 as x")

    assert hashes.main([str(after), "--compare", str(saved)]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "core.extra: only in the first"

    # A run_benchmarks report holds the hashes of a scale: it compares like the file itself.
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"scales": {"M": {"core_hashes": json.loads(saved.read_text())}}}))
    assert hashes.main([str(before), "--compare", str(report)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "all 2 relations equal"
    assert hashes.main([str(report), "--compare", str(saved)]) == 0
    with pytest.raises(SystemExit):
        hashes.main([str(before), "--schema", "analytics"])


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


# --- the scoring benchmark's CDNOW conversion, labels and AUC table (no download) ---------------

CDNOW_LINES = [
    " 00004 0001 19970101  2   29.33",
    " 00004 0001 19970101  1   10.00",
    " 00004 0001 19970118  3   10.00",
    " 00004 0001 19971005  1   14.96",
    " 00018 0002 19970102  1    0.00",
    " 00021 0003 19970103  1   11.77",
    " 00021 0003 19980630  2   26.48",
]


def cdnow_rows(tmp_path):
    bench = load_python_file("bench/scoring_benchmark.py")
    path = tmp_path / "CDNOW_sample.txt"
    path.write_text("".join(line + "\n" for line in CDNOW_LINES))
    return bench, bench.read_cdnow_sample(path)


def test_cdnow_rows_become_contract_files_with_the_holdout_left_out(tmp_path):
    bench, rows = cdnow_rows(tmp_path)

    frames = bench.cdnow_to_raw(rows, pd.Timestamp("1997-10-01"))
    raw = bench.write_raw_dir(frames, tmp_path / "raw")

    for name in ("clients.csv", "products.csv", "transactions.csv"):
        with (SAMPLE_DIR / name).open() as sample, (raw / name).open() as written:
            assert written.readline() == sample.readline()
    clients, transactions = frames["clients"], frames["transactions"]
    # Every customer is a client, also one whose only purchase is in the holdout or worth 0.
    assert clients["client_id"].tolist() == ["CDNOW-00004", "CDNOW-00018", "CDNOW-00021"]
    assert clients["client_name"].is_unique
    assert frames["products"]["stock_code"].tolist() == ["CD"]
    # One invoice per row, holdout rows (1997-10-05, 1998-06-30) not written.
    assert transactions["invoice_no"].tolist() == [f"{n:07d}" for n in range(1, 6)]
    assert transactions["invoice_date"].tolist() == [
        "1997-01-01", "1997-01-01", "1997-01-18", "1997-01-02", "1997-01-03",
    ]  # fmt: skip
    assert transactions["quantity"].tolist() == ["2", "1", "3", "1", "1"]
    assert transactions["unit_price"].tolist() == [
        "14.6650",
        "10.0000",
        "3.3333",
        "0.0000",
        "11.7700",
    ]
    # quantity × unit price gives back the value in cents; the value-0 row is expected rejected.
    amounts = transactions["quantity"].astype(int) * transactions["unit_price"].astype(float)
    assert amounts.round(2).tolist() == [29.33, 10.0, 10.0, 0.0, 11.77]
    assert bench.expected_rejects(transactions) == {"non_positive_unit_price": 1}
    assert (raw / "ground_truth.csv").read_text().splitlines()[1] == (
        "cdnow,CDNOW-00004,CDNOW-00004,individual"
    )


def test_churn_labels_and_rfm_features_read_only_their_window(tmp_path):
    bench, rows = cdnow_rows(tmp_path)
    customers = pd.Index(["00004", "00018", "00021"])
    as_of = pd.Timestamp("1997-10-01")

    label_90d = bench.churn_labels(rows, customers, as_of, as_of + pd.Timedelta(days=90))
    label_39w = bench.churn_labels(rows, customers, as_of, pd.Timestamp("1998-07-01"))
    features = bench.rfm_features(rows, as_of)

    assert label_90d.tolist() == [0, 1, 1]
    assert label_39w.tolist() == [0, 1, 0]
    assert features.loc["00004"].tolist() == [256, 2, 49.33, 273]
    assert features.loc["00018", "recency_days"] == 272
    # Same-day rows are one purchase; the summary's T runs to the day given.
    summary = bench.bgnbd_summary(rows[rows["date"] < as_of], bench.CALIBRATION_LAST_DAY)
    assert summary.loc["00004"].tolist() == [1, 17 / 7, 272 / 7]
    assert bench.bgnbd_summary(rows[rows["date"] < as_of], as_of).loc["00004", "T"] == 39.0


def test_auc_table_counts_each_score_on_the_clients_it_covers():
    bench = load_python_file("bench/scoring_benchmark.py")
    labels = pd.DataFrame({"label": [1, 1, 0, 0]}, index=list("abcd"))
    scores = pd.DataFrame(
        {
            "perfect": [0.9, 0.8, 0.2, 0.1],
            "inverted": [0.1, 0.2, 0.8, 0.9],
            "partial": [0.9, None, 0.95, 0.1],
        },
        index=list("abcd"),
    )

    table = bench.auc_table(scores, labels)

    assert table["label"].tolist() == [1.0, 0.0, 0.5]
    assert table["n_clients"].tolist() == [4, 4, 3]


def test_parameter_table_judges_parameters_not_the_log_likelihood():
    bench = load_python_file("bench/scoring_benchmark.py")
    metrics = pd.DataFrame(
        {
            "model_name": ["bg_nbd"] * 5 + ["gamma_gamma"] * 3 + ["churn"],
            "metric_name": ["r", "alpha", "a", "b", "log_likelihood", "p", "q", "gamma", "roc_auc"],
            "metric_value": [0.243, 4.403, 0.814, 2.475, -9585.7, 6.25, 3.744, 15.443, 0.72],
        }
    )

    table = bench.parameter_table(metrics).set_index("parameter")

    assert table["verdict"].to_dict() == {
        "r": "PASS", "alpha": "PASS", "a": "MISS", "b": "MISS", "log_likelihood": "",
        "p": "PASS", "q": "PASS", "gamma": "PASS",
    }  # fmt: skip
    assert round(table.loc["a", "relative_difference"], 4) == 0.0265
    assert bench.churn_metric_table(metrics).to_dict() == {"churn": {"roc_auc": 0.72}}
