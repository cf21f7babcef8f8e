"""Warehouse benchmark: full `dbt build` at scales S, M and L, an incremental run, and the pandas
baseline, with a JSON and a markdown report.

    python bench/run_benchmarks.py                 # S, M and L (L needs ~2 GB of disk for data)
    python bench/run_benchmarks.py --scales S M    # a quicker look

Per scale: generate the raw files (kept under data/generated/<scale> and reused when the seed and
size match), build into a fresh DuckDB file, then append 1 % new invoice lines and run again
(`dbt run --selector transactions_load`, the incremental load of a new delivery, then `dbt build`,
the daily command that also rebuilds everything built on the new lines),
then run bench/baseline/pandas_pipeline.py on the same files. Every dbt and baseline run is a
child process whose peak RSS is read from getrusage in a wrapper around it. dbt's per-model lines
and the generator's progress bar show while it runs. Reports: bench/out/report.{json,md}.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SCALES = {
    "S": {"clients": 2_000, "transactions": 100_000},
    "M": {"clients": 20_000, "transactions": 1_000_000},
    "L": {"clients": 200_000, "transactions": 10_000_000},
}
TARGETS = {
    "L_build_s": 120,
    "L_peak_rss_gb": 4,
    "L_dedupe_s": 30,
    "L_over_M": 12,
    "increment": 0.15,
}
APPENDED_SHARE = 0.01
REPORTED_SCHEMAS = ("stage", "core", "analytics")


def measured(command: list[str], env: dict | None = None, quiet: bool = False) -> dict:
    """Run a command in a wrapper process that reports the command's wall time and peak RSS."""
    wrapper = [sys.executable, __file__, "--exec-measured", "--", *command]
    started = time.perf_counter()
    completed = subprocess.run(
        wrapper,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE if quiet else None,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall_s = time.perf_counter() - started
    report = json.loads(completed.stderr.strip().splitlines()[-1])
    if report["returncode"] != 0:
        raise RuntimeError(f"{' '.join(command)} failed with {report['returncode']}")
    return {
        "wall_s": round(wall_s, 2),
        "peak_rss_mb": report["peak_rss_mb"],
        "stdout": completed.stdout,
    }


def exec_measured(command: list[str]) -> None:
    returncode = subprocess.call(command)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps({"returncode": returncode, "peak_rss_mb": round(peak_kb / 1024)}),
        file=sys.stderr,
    )


def generated(scale: str, seed: int, data_dir: Path) -> tuple[Path, dict]:
    size = SCALES[scale]
    out = data_dir / scale
    manifest = out / "manifest.json"
    wanted = {"seed": seed, **size}
    if manifest.exists():
        written = json.loads(manifest.read_text())["arguments"]
        reuse = all(written.get(key) == value for key, value in wanted.items())
    else:
        reuse = False
    if reuse:
        return out, {"wall_s": 0.0, "reused": True}
    shutil.rmtree(out, ignore_errors=True)
    run = measured(
        [
            str(BIN / "python"),
            "-m",
            "customer_analytics.generator",
            "--seed",
            str(seed),
            "--clients",
            str(size["clients"]),
            "--transactions",
            str(size["transactions"]),
            "--out",
            str(out),
        ]
    )
    return out, {"wall_s": run["wall_s"], "peak_rss_mb": run["peak_rss_mb"], "reused": False}


def with_appended_lines(raw_dir: Path, out: Path, share: float, seed: int) -> int:
    """A copy of raw_dir whose transactions file has `share` more lines: sampled lines given new
    invoice numbers (five lines per invoice), as a day's new invoices would arrive."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for source in raw_dir.iterdir():
        if source.name != "transactions.csv":
            os.symlink(source.resolve(), out / source.name)
    shutil.copy(raw_dir / "transactions.csv", out / "transactions.csv")
    # Two streaming passes, so that 10 M lines are never held in memory at once.
    source_file = raw_dir / "transactions.csv"
    with source_file.open(newline="") as handle:
        reader = csv.DictReader(handle)
        line_count, last_invoice = 0, 0
        for row in reader:
            line_count += 1
            if (row["invoice_no"] or "").isdigit():
                last_invoice = max(last_invoice, int(row["invoice_no"]))
        fieldnames = reader.fieldnames
    chosen = set(random.Random(seed).sample(range(line_count), int(line_count * share)))
    with source_file.open(newline="") as handle:
        sample = [row for index, row in enumerate(csv.DictReader(handle)) if index in chosen]
    with (out / "transactions.csv").open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames, lineterminator="\n")
        for index, row in enumerate(sample):
            writer.writerow({**row, "invoice_no": str(last_invoice + 1 + index // 5)})
    return len(sample)


def dbt(args: list[str], raw_dir: Path, work: Path, threads: int) -> dict:
    env = {
        **os.environ,
        "PYTHONWARNINGS": "ignore",
        "DBT_PROFILES_DIR": str(PROJECT_ROOT),
        "DBT_TARGET": "duckdb",
        "DUCKDB_PATH": str(work / "warehouse.duckdb"),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
    }
    vars_arg = json.dumps({"raw_data_dir": str(raw_dir)})
    run = measured([str(BIN / "dbt"), *args, "--threads", str(threads), "--vars", vars_arg], env)
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    nodes = [
        {"node": r["unique_id"], "status": r["status"], "seconds": round(r["execution_time"], 2)}
        for r in results
    ]
    by_type: dict[str, float] = {}
    for node in nodes:
        kind = node["node"].split(".")[0]
        by_type[kind] = round(by_type.get(kind, 0.0) + node["seconds"], 2)
    return {
        "wall_s": run["wall_s"],
        "peak_rss_mb": run["peak_rss_mb"],
        "node_seconds_by_type": by_type,
        "nodes": sorted(nodes, key=lambda n: -n["seconds"]),
    }


def relation_rows(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        connection.execute("set variable analytics_role = 'DATA_ENGINEER'")
        names = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            f" where table_schema in {REPORTED_SCHEMAS} order by 1"
        ).fetchall()
        return {n: connection.execute(f"select count(*) from {n}").fetchone()[0] for (n,) in names}


def bench_scale(scale: str, args: argparse.Namespace) -> dict:
    print(f"\n=== scale {scale}: {SCALES[scale]} ===", flush=True)
    raw_dir, generation = generated(scale, args.seed, args.data_dir)
    work = args.out / scale
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    full = dbt(["build"], raw_dir, work, args.threads)
    rows = relation_rows(work / "warehouse.duckdb")
    appended_dir = args.data_dir / f"{scale}_appended"
    appended = with_appended_lines(raw_dir, appended_dir, APPENDED_SHARE, args.seed)
    load = dbt(["run", "--selector", "transactions_load"], appended_dir, work, args.threads)
    daily = dbt(["build"], appended_dir, work, args.threads)
    result = {
        "size": SCALES[scale],
        "generate": generation,
        "full_build": full,
        "rows": rows,
        "appended_lines": appended,
        "incremental_transactions_load": load,
        "build_after_append": daily,
    }
    if not args.skip_baseline:
        baseline = measured(
            [
                str(BIN / "python"),
                str(PROJECT_ROOT / "bench/baseline/pandas_pipeline.py"),
                "--raw-dir",
                str(raw_dir),
                "--work-dir",
                str(work / "baseline"),
                "--seed",
                str(args.seed),
            ],
            quiet=True,
        )
        steps = json.loads(baseline["stdout"].strip().splitlines()[-1])
        result["pandas_baseline"] = {
            "wall_s": baseline["wall_s"],
            "peak_rss_mb": baseline["peak_rss_mb"],
            **steps,
        }
    return result


def node_seconds(run: dict, name: str) -> float:
    return sum(n["seconds"] for n in run["nodes"] if n["node"].split(".")[-1] == name)


def markdown(report: dict) -> str:
    lines = [
        "| scale | lines | full build (s) | peak RSS (MB) | dedupe (s) | +1 % lines: "
        "`run --selector transactions_load` (s) | +1 % lines: `build` (s) | pandas baseline (s) "
        "| baseline / build |",
        "|" + " --- |" * 9,
    ]
    for scale, result in report["scales"].items():
        full = result["full_build"]
        baseline = result.get("pandas_baseline", {}).get("wall_s")
        lines.append(
            f"| {scale} | {result['size']['transactions']:,} | {full['wall_s']} "
            f"| {full['peak_rss_mb']:,} | {node_seconds(full, 'int_clients_clustered')} "
            f"| {result['incremental_transactions_load']['wall_s']} "
            f"| {result['build_after_append']['wall_s']} | {baseline or '—'} "
            f"| {round(baseline / full['wall_s'], 2) if baseline else '—'} |"
        )
    for scale, result in report["scales"].items():
        phases = ", ".join(
            f"{kind} {seconds}"
            for kind, seconds in result["full_build"]["node_seconds_by_type"].items()
        )
        lines += [f"\nAt {scale}, node seconds by kind (summed over threads): {phases}."]
        lines += [f"\nSlowest nodes at {scale} (full build, seconds):\n"]
        lines += [
            f"- {n['node'].split('.')[-1]} ({n['node'].split('.')[0]}): {n['seconds']}"
            for n in result["full_build"]["nodes"][:10]
        ]
    lines.append("\nTargets (issue 9): " + json.dumps(report["checks"]))
    return "\n".join(lines) + "\n"


def checks(scales: dict) -> dict:
    found: dict[str, object] = {}
    if "L" in scales:
        full = scales["L"]["full_build"]
        found["L_build_s"] = [full["wall_s"], full["wall_s"] <= TARGETS["L_build_s"]]
        rss_gb = round(full["peak_rss_mb"] / 1024, 2)
        found["L_peak_rss_gb"] = [rss_gb, rss_gb <= TARGETS["L_peak_rss_gb"]]
        dedupe = node_seconds(full, "int_clients_clustered")
        found["L_dedupe_s"] = [dedupe, dedupe <= TARGETS["L_dedupe_s"]]
        share = scales["L"]["incremental_transactions_load"]["wall_s"] / full["wall_s"]
        found["L_increment_share"] = [round(share, 3), share <= TARGETS["increment"]]
    if {"L", "M"} <= scales.keys():
        ratio = scales["L"]["full_build"]["wall_s"] / scales["M"]["full_build"]["wall_s"]
        found["L_over_M"] = [round(ratio, 2), ratio <= TARGETS["L_over_M"]]
    return found


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--exec-measured":
        exec_measured(sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", nargs="+", choices=list(SCALES), default=list(SCALES))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=PROJECT_ROOT / "data" / "generated")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "bench" / "out")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    report = {
        "machine": {"cpus": os.cpu_count()},
        "seed": args.seed,
        "threads": args.threads,
        "scales": {scale: bench_scale(scale, args) for scale in args.scales},
    }
    report["checks"] = checks(report["scales"])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(report, indent=2))
    (args.out / "report.md").write_text(markdown(report))
    print("\n" + markdown(report))


if __name__ == "__main__":
    main()
