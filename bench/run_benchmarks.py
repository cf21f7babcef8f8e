"""Warehouse benchmark: full `dbt build` at scales S, M and L (XL on request), the path to the
RFM table from an empty file, an incremental run, and the pandas baseline, with a JSON and a
markdown report.

    python bench/run_benchmarks.py                 # S, M and L (L needs ~2 GB of disk for data)
    python bench/run_benchmarks.py --scales S M    # a quicker look
    python bench/run_benchmarks.py --scales XL     # 50 M lines: about five times L's disk

Per scale: generate the raw files (kept under data/generated/<scale> and reused when the seed and
size match); build the RFM mart and its parents into an empty DuckDB file (<out>/<scale>/rfm_path);
build everything into another fresh file and write the content hashes of its `core` relations
(bench/core_hashes.py); then append 1 % new invoice lines and run again
(`dbt run --selector transactions_load`, the incremental load of a new delivery, then `dbt build`,
the daily command that also rebuilds everything built on the new lines),
then run bench/baseline/pandas_pipeline.py on the same files (not at XL). Every dbt and baseline
run is a child process whose peak RSS is read from getrusage in a wrapper around it. dbt's
per-model lines and the generator's progress bar show while it runs. A scale whose run fails is
reported with what it measured up to the failure, and the next scale still runs.
Reports: bench/out/report.{json,md}.
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
    "XL": {"clients": 1_000_000, "transactions": 50_000_000},
}
DEFAULT_SCALES = ["S", "M", "L"]
# The pandas baseline held 8.1 GB at L and grows with the lines: XL would not fit in memory.
NO_BASELINE = {"XL"}
# XL shows how the full build grows; its +1 % delivery would copy 50 M lines in pure Python first.
NO_APPEND = {"XL"}
# The performance targets, named as the checks of the report. Upper bounds but for the speedup, a
# lower bound.
TARGETS = {
    "L_build_s": 90,  # full `dbt build`, data and unit tests included
    "L_rfm_path_s": 25,
    "L_rfm_speedup": 3.5,  # pandas load + clean + rfm steps / the +rfm path, same files
    "L_peak_rss_gb": 3,  # of the full build
    "L_increment_share": 0.10,  # `run --selector transactions_load` after +1 % / full build
    # "Completes under the memory limit": the peak RSS bound of L (DuckDB's own memory_limit in
    # profiles.yml bounds only its buffers, not the Python models beside them).
    "XL_peak_rss_gb": 3,
    "XL_over_L": 5.5,  # full build time
}
AT_LEAST = {"L_rfm_speedup"}
# `dbt run --select +rfm` cannot start from an empty file: models ref seeds, which only `seed` or
# `build` load. One build of the seeds and models +rfm selects, without tests, is that run plus
# the seeds, in one process as `run` would be.
RFM_PATH = ["build", "--select", "+rfm", "--resource-type", "seed", "model"]
# The baseline steps that do what RFM_PATH does: read the raw files, clean them, compute RFM.
PANDAS_RFM_STEPS = ("load", "clean", "rfm")
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
        raise RuntimeError(
            f"{' '.join(command)} failed with {report['returncode']} after {wall_s:.0f} s,"
            f" peak RSS {report['peak_rss_mb']:,} MB"
        )
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


def core_hashes(warehouse: Path) -> dict:
    """bench/core_hashes.py's hashes of the `core` relations, for comparing two reports."""
    out = warehouse.with_name("core_hashes.json")
    subprocess.run(
        [str(BIN / "python"), str(PROJECT_ROOT / "bench/core_hashes.py"), str(warehouse)]
        + ["--json", str(out)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return json.loads(out.read_text())


def bench_scale(scale: str, args: argparse.Namespace) -> dict:
    """The scale's measurements; on a failed run, those taken before it and the error."""
    print(f"\n=== scale {scale}: {SCALES[scale]} ===", flush=True)
    result: dict = {"size": SCALES[scale]}
    try:
        measure_scale(scale, args, result)
    except (RuntimeError, subprocess.CalledProcessError) as error:
        result["failed"] = str(error)
        print(f"scale {scale} stopped: {error}", flush=True)
    return result


def measure_scale(scale: str, args: argparse.Namespace, result: dict) -> None:
    raw_dir, result["generate"] = generated(scale, args.seed, args.data_dir)
    work = args.out / scale
    shutil.rmtree(work, ignore_errors=True)
    (work / "rfm_path").mkdir(parents=True)
    result["rfm_path"] = dbt(RFM_PATH, raw_dir, work / "rfm_path", args.threads)
    # The warehouse reads its deliveries from one place, as in production: the next delivery
    # replaces the file there, so the runs after it keep dbt's partial parse (a changed
    # raw_data_dir var would make every run parse the whole project again).
    delivery = work / "delivery"
    delivery.mkdir()
    for source in raw_dir.iterdir():
        if source.suffix == ".csv":
            (delivery / source.name).symlink_to(source.resolve())
    result["full_build"] = dbt(["build"], delivery, work, args.threads)
    result["rows"] = relation_rows(work / "warehouse.duckdb")
    result["core_hashes"] = core_hashes(work / "warehouse.duckdb")
    if scale in NO_APPEND:
        return
    appended_dir = args.data_dir / f"{scale}_appended"
    result["appended_lines"] = with_appended_lines(raw_dir, appended_dir, APPENDED_SHARE, args.seed)
    (delivery / "transactions.csv").unlink()
    (delivery / "transactions.csv").symlink_to((appended_dir / "transactions.csv").resolve())
    result["incremental_transactions_load"] = dbt(
        ["run", "--selector", "transactions_load"], delivery, work, args.threads
    )
    result["build_after_append"] = dbt(["build"], delivery, work, args.threads)
    if args.skip_baseline or scale in NO_BASELINE:
        return
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
        "rfm_steps_s": rfm_steps_seconds(steps["steps"]),
        **steps,
    }


def rfm_steps_seconds(steps: dict[str, float]) -> float:
    """The baseline's seconds for what the +rfm path does, from its per-step seconds."""
    return round(sum(steps[name] for name in PANDAS_RFM_STEPS), 2)


def node_seconds(run: dict, name: str) -> float:
    return sum(n["seconds"] for n in run["nodes"] if n["node"].split(".")[-1] == name)


def markdown(report: dict) -> str:
    finished = {s: r for s, r in report["scales"].items() if "failed" not in r}
    lines = [
        "| scale | lines | full build (s) | peak RSS (MB) | dedupe (s) | +1 % lines: "
        "`run --selector transactions_load` (s) | +1 % lines: `build` (s) | pandas baseline (s) "
        "| baseline / build |",
        "|" + " --- |" * 9,
    ]
    for scale, result in finished.items():
        full = result["full_build"]
        baseline = result.get("pandas_baseline", {}).get("wall_s")
        lines.append(
            f"| {scale} | {result['size']['transactions']:,} | {full['wall_s']} "
            f"| {full['peak_rss_mb']:,} | {node_seconds(full, 'int_clients_clustered')} "
            f"| {taken(result, 'incremental_transactions_load', 'wall_s') or '—'} "
            f"| {taken(result, 'build_after_append', 'wall_s') or '—'} | {baseline or '—'} "
            f"| {quotient(baseline, full['wall_s'], 2) or '—'} |"
        )
    lines += [
        f"\nFrom an empty file to the RFM mart: `dbt {' '.join(RFM_PATH)}` (the seeds and models"
        f" `dbt run --select +rfm` needs) against the pandas baseline's"
        f" {' + '.join(PANDAS_RFM_STEPS)} steps on the same files:\n",
        "| scale | `+rfm` path (s) | peak RSS (MB) | pandas load + clean + rfm (s) "
        "| pandas / `+rfm` |",
        "|" + " --- |" * 5,
    ]
    for scale, result in finished.items():
        path = result["rfm_path"]
        pandas = result.get("pandas_baseline", {}).get("rfm_steps_s")
        lines.append(
            f"| {scale} | {path['wall_s']} | {path['peak_rss_mb']:,} | {pandas or '—'} "
            f"| {quotient(pandas, path['wall_s'], 2) or '—'} |"
        )
    for scale, result in report["scales"].items():
        if "failed" in result:
            lines += [f"\nAt {scale} the run stopped: {result['failed']}"]
    for scale, result in finished.items():
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
    if not report["checks"]:
        lines.append("\nTargets: judged at L and XL, neither of which ran.")
    else:
        lines.append("\nTargets:\n")
    for name, (value, met) in report["checks"].items():
        bound = "≥" if name in AT_LEAST else "≤"
        verdict = {True: "met", False: "**missed**", None: "not measured"}[met]
        shown = "—" if value is None else value
        lines.append(f"- {name}: {shown} (target {bound} {TARGETS[name]}), {verdict}")
    return "\n".join(lines) + "\n"


def check(name: str, value: float | None) -> list:
    """[value, met]; [None, None] when not measured (skipped, or its scale stopped before)."""
    if value is None:
        return [None, None]
    return [value, value >= TARGETS[name] if name in AT_LEAST else value <= TARGETS[name]]


def taken(result: dict, run: str, key: str) -> float | None:
    """One measurement of a scale's result, None when the scale stopped before it."""
    return result.get(run, {}).get(key)


def quotient(numerator: float | None, denominator: float | None, digits: int) -> float | None:
    return round(numerator / denominator, digits) if numerator and denominator else None


def checks(scales: dict) -> dict:
    found: dict[str, list] = {}
    large = scales.get("L", {})
    full = taken(large, "full_build", "wall_s")
    if "L" in scales:
        path = taken(large, "rfm_path", "wall_s")
        pandas = taken(large, "pandas_baseline", "rfm_steps_s")
        load = taken(large, "incremental_transactions_load", "wall_s")
        found["L_build_s"] = check("L_build_s", full)
        found["L_rfm_path_s"] = check("L_rfm_path_s", path)
        found["L_rfm_speedup"] = check("L_rfm_speedup", quotient(pandas, path, 2))
        rss_gb = quotient(taken(large, "full_build", "peak_rss_mb"), 1024, 2)
        found["L_peak_rss_gb"] = check("L_peak_rss_gb", rss_gb)
        found["L_increment_share"] = check("L_increment_share", quotient(load, full, 3))
    if "XL" in scales:
        xl = scales["XL"]
        rss_gb, met = check(
            "XL_peak_rss_gb", quotient(taken(xl, "full_build", "peak_rss_mb"), 1024, 2)
        )
        # The target is completing: a failed step misses it, whatever the peak before it.
        found["XL_peak_rss_gb"] = [rss_gb, False if "failed" in xl else met]
    if {"L", "XL"} <= scales.keys():
        xl_over_l = quotient(taken(scales["XL"], "full_build", "wall_s"), full, 2)
        found["XL_over_L"] = check("XL_over_L", xl_over_l)
    return found


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--exec-measured":
        exec_measured(sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", nargs="+", choices=list(SCALES), default=DEFAULT_SCALES)
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
