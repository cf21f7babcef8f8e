"""dbt-duckdb plugin: dbt's own DuckDB connections act as the DATA_ENGINEER principal.

The analytics views filter rows by the session variable analytics_role (macros/security). DuckDB
variables live per connection, and dbt-duckdb copies a cursor per thread, so each copy is set
here; without it dbt's data tests on the views would see no rows and prove nothing. Analysts'
and BI tools' connections do not load this plugin and must set their own role.
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin

DBT_ROLE = "DATA_ENGINEER"


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        conn.execute(f"set variable analytics_role = '{DBT_ROLE}'")

    def configure_cursor(self, cursor):
        cursor.execute(f"set variable analytics_role = '{DBT_ROLE}'")
        return cursor
