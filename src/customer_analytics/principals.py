"""One DuckDB file per sales-leadership principal, holding only what that principal may see.

The analytics views filter rows and mask PII by the session variables analytics_role and
analytics_user, which any connection may set to anything: inside one DuckDB file they are
conveniences, not security. What is enforced is file permissions. So, for every principal in
the entitlements seed (raw.region_entitlements), the publisher writes
`<principals dir>/<PRINCIPAL>.duckdb` (default principals dir: `principals/` beside the published
file) holding, in schema `analytics`, one plain table per analytics view the principal's role may
read (v_data_quality is not for SALES_LEADERSHIP) with exactly the rows that principal sees
through that view (regions it is entitled to, PII masked), with the views'
descriptions as comments. No other schema, no view SQL, nothing that names the rules or other
regions' data. File mode 0440: the owner and the file's group read it; the group an operator
gives a principal's file (`chgrp lead_uk principals/LEAD_UK.duckdb`) is kept when the file is
replaced.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import duckdb

from customer_analytics.compat import STORAGE_VERSION
from customer_analytics.duckdb_files import scratch_connection, sql_name, sql_string

ANALYTICS_SCHEMA = "analytics"
ENTITLEMENTS = ("raw", "region_entitlements")
PRINCIPAL_ROLE = "SALES_LEADERSHIP"
PRINCIPAL_NAME = re.compile(r"[A-Z0-9_-]+")
FILE_ALIAS = "principal_file"
# How a view that is not for the principal's role refuses it (macros/security/access.sql,
# analytics_session_check with readers): such a view has no table in the principal's file.
NOT_A_READER = re.compile(r"may not read [A-Za-z0-9_]+: it is for ")


def principals_of(connection: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    """The principals of the entitlements seed (upper case, as the views compare them)."""
    schema, table = ENTITLEMENTS
    found = connection.execute(
        "select count(*) from duckdb_tables() where database_name = ? and schema_name = ?"
        " and table_name = ?",
        [catalog, schema, table],
    ).fetchone()[0]
    if not found:
        return []
    rows = connection.execute(
        f"select distinct upper(trim(principal)) from {sql_name(catalog)}.{schema}.{table}"
        " where principal is not null order by 1"
    ).fetchall()
    names = [name for (name,) in rows]
    invalid = [name for name in names if not PRINCIPAL_NAME.fullmatch(name)]
    if invalid:
        raise ValueError(f"principal names must be letters, digits, _ or - (file names): {invalid}")
    return names


def analytics_views(connection: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    return connection.execute(
        "select view_name, comment from duckdb_views() where database_name = ?"
        " and schema_name = ? and not internal order by view_name",
        [catalog, ANALYTICS_SCHEMA],
    ).fetchall()


def write_principal_file(
    connection: duckdb.DuckDBPyConnection, catalog: str, principal: str, target: Path
) -> None:
    """Write `target` (a new file) with the rows of every analytics view `principal` may read,
    as it sees them."""
    connection.execute(f"set variable analytics_role = {sql_string(PRINCIPAL_ROLE)}")
    connection.execute(f"set variable analytics_user = {sql_string(principal)}")
    version = sql_string(STORAGE_VERSION)
    connection.execute(f"attach {sql_string(target)} as {FILE_ALIAS} (storage_version {version})")
    try:
        schema = f"{FILE_ALIAS}.{ANALYTICS_SCHEMA}"
        connection.execute(f"create schema {schema}")
        for view, comment in analytics_views(connection, catalog):
            table = f"{schema}.{sql_name(view)}"
            try:
                connection.execute(
                    f"create table {table} as select * from"
                    f" {sql_name(catalog)}.{ANALYTICS_SCHEMA}.{sql_name(view)}"
                )
            except duckdb.Error as error:
                if not NOT_A_READER.search(str(error)):
                    raise
                continue
            if comment:
                connection.execute(f"comment on table {table} is {sql_string(comment)}")
            for column, column_comment in connection.execute(
                "select column_name, comment from duckdb_columns() where database_name = ?"
                " and schema_name = ? and table_name = ? and comment is not null",
                [catalog, ANALYTICS_SCHEMA, view],
            ).fetchall():
                connection.execute(
                    f"comment on column {table}.{sql_name(column)} is {sql_string(column_comment)}"
                )
    finally:
        connection.execute(f"detach {FILE_ALIAS}")


def write_principal_files(
    warehouse: Path, catalog: str, stage: Callable[[str], Path]
) -> dict[str, Path]:
    """Write one file per principal of `warehouse`, at the path stage(principal) gives.

    `warehouse` is opened read-only under `catalog`, the catalog name its views were written
    with. Returns {principal: written file}.
    """
    written: dict[str, Path] = {}
    with scratch_connection() as connection:
        connection.execute(f"attach {sql_string(warehouse)} as {sql_name(catalog)} (read_only)")
        for principal in principals_of(connection, catalog):
            written[principal] = stage(principal)
            write_principal_file(connection, catalog, principal, written[principal])
    return written
