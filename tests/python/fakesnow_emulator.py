"""A local fakesnow server (Snowflake's HTTP protocol over DuckDB) that dbt-snowflake can build
into, loaded with the raw files (the Python models' output is loaded by the tests, since the
emulator cannot run Snowpark stored procedures). Every wait is bounded: a wedged emulator
answers HTTP 500 forever while the connector keeps retrying."""

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


def write_profile(profiles_dir: Path, port: int, database: str = DATABASE) -> Path:
    profiles_dir.mkdir(parents=True, exist_ok=True)
    (profiles_dir / "profiles.yml").write_text(PROFILE.format(port=port, database=database))
    return profiles_dir


def load_raw_files(port: int, raw_dir: Path, tables: list[str], database: str = DATABASE) -> None:
    """RAW as `load_raw_from_stage` leaves it on Snowflake: one all-text table per file. fakesnow
    has no stages, but passes DuckDB's read_csv through, which reads the file in place."""
    with connect(port) as connection:
        cursor = connection.cursor()
        cursor.execute(f"create database if not exists {database}")
        cursor.execute(f"create schema if not exists {database}.raw")
        for table in tables:
            cursor.execute(
                f"create or replace table {database}.raw.{table} as select * from read_csv("
                f"'{raw_dir / (table + '.csv')}', header=true, all_varchar=true)"
            )


def query(port: int, sql: str) -> list[tuple]:
    with connect(port) as connection:
        return connection.cursor().execute(sql).fetchall()
