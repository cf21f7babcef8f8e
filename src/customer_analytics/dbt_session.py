"""dbt-duckdb plugin: dbt's own DuckDB connections act as the DATA_ENGINEER principal.

The analytics views filter rows by the session variable analytics_role (macros/security), and
refuse to answer a session that sets no known role. DuckDB variables live per connection, and
dbt-duckdb copies a cursor per thread, so each copy is set here; without it dbt could not even
create the views (DuckDB binds a view's query when creating it) nor run its data tests on them.
Analysts' and BI tools' connections do not load this plugin and must set their own role. None of
this is access control: whoever holds the DuckDB file can set any role (docs/security.md).
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
