"""Row count, column list and an order-independent content hash of every table and view in one
schema of a DuckDB file, to show that a rewrite of the models left their outputs bit-identical.

    python bench/core_hashes.py WAREHOUSE.duckdb [--schema core] [--json out.json]
    python bench/core_hashes.py WAREHOUSE.duckdb --compare before.json   # exit 1 on a difference

The hash of a relation is the sum, as a HUGEINT (no overflow below 2^64 rows), of DuckDB's
`hash()` over each row's values in column order, so it does not depend on row order but changes
with any single value, with a row's multiplicity and with the order of the columns. NULL hashes
to one fixed value of its own, distinct from '' and 0. `hash()` does not see column names, and
1::integer hashes like 1::bigint, so the columns (name and type, in order) are compared as well.
-0.0 and 0.0 hash alike. The values of `hash()` may change between DuckDB versions: compare
hashes written by the same version.

--compare also takes a report.json of bench/run_benchmarks.py (its `core_hashes` at --scale, M
by default), and so does the WAREHOUSE argument: two reports can be compared without a warehouse.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb


def relation_hashes(warehouse: Path, schema: str = "core") -> dict:
    """{"duckdb": version, "schema": schema, "relations": {name: {rows, hash, columns}}}."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        # The analytics views refuse to answer unless the session names a role (macros/security).
        connection.execute("set variable analytics_role = 'DATA_ENGINEER'")
        names = connection.execute(
            "select table_name from information_schema.tables where table_schema = ? order by 1",
            [schema],
        ).fetchall()
        relations = {}
        for (name,) in names:
            columns = connection.execute(
                "select column_name || ' ' || data_type from information_schema.columns"
                " where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            ).fetchall()
            # *columns(*) passes the row's values as arguments; hash(alias) would pick up a
            # column that happens to share the alias's name instead of the row.
            rows, content = connection.execute(
                "select count(*), coalesce(sum(hash(*columns(*))::hugeint), 0)"
                f' from "{schema}"."{name}"'
            ).fetchone()
            relations[f"{schema}.{name}"] = {
                "rows": rows,
                # Text: JSON readers that parse numbers as doubles would round a 128-bit sum.
                "hash": str(content),
                "columns": [column for (column,) in columns],
            }
    return {"duckdb": duckdb.__version__, "schema": schema, "relations": relations}


def read_hashes(path: Path, scale: str = "M") -> dict:
    """Hashes written by --json, or the ones a run_benchmarks report holds for one scale."""
    data = json.loads(Path(path).read_text())
    return data["scales"][scale]["core_hashes"] if "scales" in data else data


def differences(found: dict, expected: dict) -> list[str]:
    """One line per relation whose count, hash or columns differ, or that only one side has."""
    mine, theirs = found["relations"], expected["relations"]
    lines = [f"{name}: only in the first" for name in sorted(mine.keys() - theirs.keys())]
    lines += [f"{name}: only in the second" for name in sorted(theirs.keys() - mine.keys())]
    for name in sorted(mine.keys() & theirs.keys()):
        changed = [
            key for key in ("rows", "hash", "columns") if mine[name][key] != theirs[name][key]
        ]
        if changed:
            lines.append(
                f"{name}: {', '.join(changed)} differ (rows {mine[name]['rows']:,}"
                f" vs {theirs[name]['rows']:,})"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("warehouse", type=Path, help="a DuckDB file, or a hashes/report JSON")
    parser.add_argument("--schema", default="core")
    parser.add_argument("--json", type=Path, help="write the hashes here")
    parser.add_argument("--compare", type=Path, help="hashes or report JSON to compare with")
    parser.add_argument("--scale", default="M", help="the scale to read from a report JSON")
    args = parser.parse_args(argv)

    if args.warehouse.suffix == ".json":
        found = read_hashes(args.warehouse, args.scale)
    else:
        found = relation_hashes(args.warehouse, args.schema)
    if not found["relations"]:
        parser.error(f"no tables or views in {args.warehouse} (schema {args.schema})")
    for name, relation in found["relations"].items():
        print(f"{name}\t{relation['rows']}\t{relation['hash']}")
    if args.json:
        args.json.write_text(json.dumps(found, indent=2))
    if args.compare is None:
        return 0
    expected = read_hashes(args.compare, args.scale)
    if expected["duckdb"] != found["duckdb"]:
        print(f"note: hashes from DuckDB {found['duckdb']} and {expected['duckdb']}")
    lines = differences(found, expected)
    print("\n".join(lines) if lines else f"all {len(found['relations'])} relations equal")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
