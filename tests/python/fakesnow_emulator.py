"""A local fakesnow server (Snowflake's HTTP protocol over DuckDB) that dbt-snowflake can build
into, loaded with the raw files and the Python models' output, since the emulator cannot run
Snowpark stored procedures. Every wait is bounded: a wedged emulator answers HTTP 500 forever
while the connector keeps retrying."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

DATABASE = "CUSTOMER_ANALYTICS"
FAKESNOW = Path(sys.executable).with_name("fakesnow")
START_TIMEOUT_S = 30
NETWORK_TIMEOUT_S = 120

PROFILE = """\
customer_analytics:
  target: fakesnow
  outputs:
    fakesnow:
      type: snowflake
      account: fakesnow
      host: localhost
      port: {port}
      protocol: http
      user: ci
      password: ci
      role: DATA_ENGINEER
      warehouse: TRANSFORMING
      database: {database}
      schema: core
      threads: 4
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def fakesnow_server(log_path: Path) -> Iterator[int]:
    """Serve fakesnow on a free local port for the duration of the block; yields the port."""
    port = free_port()
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(FAKESNOW), "-s", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"fakesnow exited early:\n{log_path.read_text()[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"fakesnow did not listen on {port}") from None
                time.sleep(0.2)
        yield port
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def connect(port: int):
    import snowflake.connector

    return snowflake.connector.connect(
        account="fakesnow",
        user="ci",
        password="ci",
        host="localhost",
        port=port,
        protocol="http",
        database=DATABASE,
        network_timeout=NETWORK_TIMEOUT_S,
        login_timeout=START_TIMEOUT_S,
    )


def write_profile(profiles_dir: Path, port: int) -> Path:
    profiles_dir.mkdir(parents=True, exist_ok=True)
    (profiles_dir / "profiles.yml").write_text(PROFILE.format(port=port, database=DATABASE))
    return profiles_dir


def load_raw_files(port: int, raw_dir: Path, tables: list[str]) -> None:
    """RAW as `load_raw_from_stage` leaves it on Snowflake: one all-text table per file. fakesnow
    has no stages, but passes DuckDB's read_csv through, which reads the file in place."""
    with connect(port) as connection:
        cursor = connection.cursor()
        cursor.execute(f"create database if not exists {DATABASE}")
        cursor.execute(f"create schema if not exists {DATABASE}.raw")
        for table in tables:
            cursor.execute(
                f"create or replace table {DATABASE}.raw.{table} as select * from read_csv("
                f"'{raw_dir / (table + '.csv')}', header=true, all_varchar=true)"
            )


def copy_relations(port: int, warehouse: Path, schema: str, tables: list[str], tmp: Path) -> None:
    """Copy tables from a DuckDB warehouse into the emulator (via parquet, keeping types), with
    the upper-case column names Snowflake stores unquoted identifiers as."""
    with duckdb.connect(str(warehouse), read_only=True) as source:
        for table in tables:
            columns = source.execute(
                "select column_name from information_schema.columns"
                " where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table],
            ).fetchall()
            select_list = ", ".join(f'"{name}" as "{name.upper()}"' for (name,) in columns)
            source.execute(
                f"copy (select {select_list} from {schema}.{table})"
                f" to '{tmp / table}.parquet' (format parquet)"
            )
    with connect(port) as connection:
        cursor = connection.cursor()
        cursor.execute(f"create schema if not exists {DATABASE}.{schema}")
        for table in tables:
            cursor.execute(
                f"create or replace table {DATABASE}.{schema}.{table} as "
                f"select * from read_parquet('{tmp / table}.parquet')"
            )


def query(port: int, sql: str) -> list[tuple]:
    with connect(port) as connection:
        return connection.cursor().execute(sql).fetchall()
