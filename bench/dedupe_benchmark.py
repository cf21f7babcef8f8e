"""Benchmark the client dedupe: wall time, peak memory and pairwise F1 at a given scale.

    python bench/dedupe_benchmark.py --clients 200000            # the issue's target scale
    python bench/dedupe_benchmark.py --clients 2000 --raw-dir data/raw   # the committed sample

Steps: generate raw data (unless --raw-dir is given), stage it with dbt into a scratch DuckDB
file, then run the dedupe function alone in a child process (so its peak RSS is not mixed with
dbt's) and score the result against ground_truth.csv. Prints a JSON report.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MODEL_PATH = PROJECT_ROOT / "python_models" / "identity" / "int_clients_clustered.py"
BIN = Path(sys.executable).parent


def load_dedupe_module():
    spec = importlib.util.spec_from_file_location("int_clients_clustered", MODEL_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pairwise_scores(predicted: pd.Series, truth: pd.Series) -> dict[str, float]:
    """Pairwise precision/recall/F1: a pair of records is predicted when it shares a cluster and
    true when it shares an entity."""

    def pairs(counts: pd.Series) -> int:
        return int((counts * (counts - 1) // 2).sum())

    frame = pd.DataFrame({"predicted": predicted.to_numpy(), "truth": truth.to_numpy()})
    hits = pairs(frame.groupby(["predicted", "truth"]).size())
    predicted_pairs = pairs(frame.groupby("predicted").size())
    true_pairs = pairs(frame.groupby("truth").size())
    precision = hits / predicted_pairs if predicted_pairs else 1.0
    recall = hits / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "records": len(frame),
        "predicted_clusters": int(frame["predicted"].nunique()),
        "true_entities": int(frame["truth"].nunique()),
        "predicted_pairs": predicted_pairs,
        "true_pairs": true_pairs,
        "true_positive_pairs": hits,
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
    }


def run_child(duckdb_path: Path, threshold: float) -> dict:
    """Child process entry: load staged clients, time the dedupe, report own peak RSS."""
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        clients = connection.sql("select * from stage.stg_crm__clients").df()
    dedupe = load_dedupe_module()
    rss_before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    result = dedupe.deduplicate_clients(clients, threshold=threshold)
    seconds = time.perf_counter() - started
    result[["client_id", "client_key"]].to_csv(duckdb_path.with_suffix(".xref.csv"), index=False)
    return {
        "dedupe_seconds": round(seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_after_loading_input_mb": round(rss_before_mb, 1),
        "staged_records": len(clients),
        "clusters": int(result["client_key"].nunique()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threshold", type=float, default=85.0)
    parser.add_argument("--raw-dir", type=Path, help="use existing raw files instead of generating")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench" / "out" / "dedupe")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child, args.threshold)))
        return

    args.out.mkdir(parents=True, exist_ok=True)
    raw_dir = args.raw_dir or args.out / f"raw_{args.clients}"
    if args.raw_dir is None and not (raw_dir / "clients.csv").exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "customer_analytics.generator",
                "--seed",
                str(args.seed),
                "--clients",
                str(args.clients),
                "--transactions",
                str(args.clients),
                "--out",
                str(raw_dir),
            ],
            check=True,
        )
    duckdb_path = args.out / "dedupe.duckdb"
    duckdb_path.unlink(missing_ok=True)
    env = {
        **os.environ,
        "DUCKDB_PATH": str(duckdb_path),
        "DBT_PROFILES_DIR": str(PROJECT_ROOT),
        "PYTHONWARNINGS": "ignore",
        "DBT_TARGET_PATH": str(args.out / "target"),
        "DBT_LOG_PATH": str(args.out / "logs"),
    }
    subprocess.run(
        [
            str(BIN / "dbt"),
            "run",
            "--select",
            "+stg_crm__clients",
            "--vars",
            json.dumps({"raw_data_dir": str(raw_dir.resolve())}),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    child = subprocess.run(
        [sys.executable, __file__, "--child", str(duckdb_path), "--threshold", str(args.threshold)],
        check=True,
        capture_output=True,
        text=True,
    )
    report = json.loads(child.stdout)
    xref = pd.read_csv(duckdb_path.with_suffix(".xref.csv"), dtype=str)
    truth = pd.read_csv(raw_dir / "ground_truth.csv", dtype=str)
    labelled = xref.merge(truth, on="client_id", how="inner")
    report.update(pairwise_scores(labelled["client_key"], labelled["entity_id"]))
    report.update(
        {"threshold": args.threshold, "raw_dir": str(raw_dir), "cpu_count": os.cpu_count()}
    )
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
