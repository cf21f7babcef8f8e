"""An analyst's process for the publish tests: until the stop file appears, open the published
warehouse read-only, read every relation of the schemas (default: analytics) in one connection,
and append what it saw (or the error) as a JSON line.
Usage: published_reader.py PUBLISHED_DUCKDB OBSERVATIONS_JSONL STOP_FILE [SCHEMA,...]

Also helpers of those tests: content hashes, small working files, leftover staging files."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb


def content_hashes(duckdb_path: Path, schemas: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent hash of every row, per relation in the schemas."""
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        connection.execute("set variable analytics_role = 'DATA_ENGINEER'")
        names = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_schema in (select unnest($schemas)) order by 1",
            {"schemas": list(schemas)},
        ).fetchall()
        return hashes_of(connection, [name for (name,) in names])


def hashes_of(connection: duckdb.DuckDBPyConnection, relations: list[str]) -> dict[str, tuple]:
    """Row count and an order-independent hash of every row, per relation named."""
    return {
        name: connection.execute(f"select count(*), sum(hash(t)) from {name} as t").fetchone()
        for name in relations
    }


def make_working_file(path: Path, marker: str, rows: int) -> Path:
    """A small warehouse: a table, and a view that names its catalog as dbt's views do."""
    path.parent.mkdir(parents=True)
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema core")
        connection.execute(
            "create table core.facts as select range as id, ? as build, md5(range::varchar) as"
            " payload from range(?)",
            [marker, rows],
        )
        connection.execute(
            "create view core.v_facts as select build, count(*) as n from warehouse.core.facts"
            " group by build"
        )
    return path


def staging_leftovers(directory: Path) -> list[str]:
    """Staging files, and logs DuckDB would replay into the published file."""
    return sorted(
        p.name for p in directory.iterdir() if ".publishing" in p.name or p.name.endswith(".wal")
    )


def main() -> None:
    published, observations, stop = (Path(argument) for argument in sys.argv[1:4])
    schemas = tuple(sys.argv[4].split(",")) if len(sys.argv) > 4 else ("analytics",)
    with observations.open("a") as out:
        while True:
            last = stop.exists()
            try:
                record = {"state": content_hashes(published, schemas)}
            except Exception as error:  # noqa: BLE001 - any failure is what the test looks for
                record = {"error": f"{type(error).__name__}: {error}"}
            out.write(json.dumps(record, default=str) + "\n")
            out.flush()
            if last:
                return
            time.sleep(0.1)


if __name__ == "__main__":
    main()
