"""Small helpers for the publisher's own DuckDB connections (publish, principals, export)."""

from __future__ import annotations

import duckdb


def sql_string(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def sql_name(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def quiet(connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """No progress bar on the terminal: the commands print one line each."""
    connection.execute("set enable_progress_bar = false")
    return connection


def scratch_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory connection to ATTACH files to."""
    return quiet(duckdb.connect())
