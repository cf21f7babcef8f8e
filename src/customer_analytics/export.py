"""Export an analytics view of the *published* warehouse to a file.

    python -m customer_analytics.export --view v_client_360 [--format parquet|csv|json]
        [--role SALES_LEADERSHIP --user LEAD_UK] [--out PATH] [--allow-empty]

DuckDB: opens the published file (PUBLISHED_DUCKDB_PATH, default warehouse.duckdb) read-only,
never the working file, so only a warehouse whose build and tests passed is exported, and an
export never blocks or is blocked by a build. The view is read as --role (default DATA_ENGINEER:
every row, unmasked) and --user, exactly as that principal's connection would see it, and
written to --out (default exports/<view>.<format>) through a temporary file renamed into place.
json is newline-delimited JSON, one object per row.

An export that finds no rows fails (exit 3, no file written) rather than hand over an empty file
as a success: a principal whose regions have no rows in that view, or an empty view. (A role or
user the views do not know is refused by the views themselves, with an error naming the session
variables to set; that is one line too, exit 1.) --allow-empty writes the empty file and says so.

Snowflake (DBT_TARGET=snowflake): runs `dbt run-operation export_view`, which unloads the view of
the published database (SNOWFLAKE_PUBLISHED_DATABASE) to the stage var('export_stage').
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from customer_analytics.duckdb_files import quiet, sql_name, sql_string
from customer_analytics.principals import ANALYTICS_SCHEMA
from customer_analytics.publish import DEFAULT_PUBLISHED_PATH, one_line

FORMATS = {
    "parquet": "(format parquet)",
    "csv": "(format csv, header true)",
    "json": "(format json)",
}
READERS = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json"}
ROLES = ("DATA_ENGINEER", "CRM_ANALYST", "SALES_LEADERSHIP")
EXIT_EMPTY = 3


class ExportError(Exception):
    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m customer_analytics.export",
        description="Export an analytics view of the published warehouse to a file.",
    )
    parser.add_argument("--view", required=True, help="analytics view, e.g. v_client_360")
    parser.add_argument("--format", choices=sorted(FORMATS), default="parquet")
    parser.add_argument("--role", default="DATA_ENGINEER", type=str.upper, choices=ROLES)
    parser.add_argument("--user", default="", type=str.upper, help="principal, e.g. LEAD_UK")
    parser.add_argument("--out", type=Path, help="file to write (default exports/VIEW.FORMAT)")
    parser.add_argument("--published", type=Path, help="published warehouse file")
    parser.add_argument("--allow-empty", action="store_true", help="write a view with no rows")
    return parser.parse_args(argv)


def analytics_views(connection: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        name
        for (name,) in connection.execute(
            "select view_name from duckdb_views() where database_name = current_database()"
            " and schema_name = ? and not internal order by 1",
            [ANALYTICS_SCHEMA],
        ).fetchall()
    ]


def export_view(
    published: Path,
    view: str,
    out: Path,
    file_format: str = "parquet",
    role: str = "DATA_ENGINEER",
    user: str = "",
    allow_empty: bool = False,
) -> int:
    """Write `view` as `role`/`user` sees it in the published file to `out`; the row count."""
    if not published.exists():
        raise ExportError(f"no published warehouse at {published}: run `make build` first")
    if role == "SALES_LEADERSHIP" and not user:
        raise ExportError("--role SALES_LEADERSHIP needs --user (e.g. LEAD_UK): it sees by user")
    with quiet(duckdb.connect(str(published), read_only=True)) as connection:
        views = analytics_views(connection)
        if view not in views:
            raise ExportError(
                f"exports analytics views only; {view} is not one of {published}'s: "
                + ", ".join(views)
            )
        connection.execute(f"set variable analytics_role = {sql_string(role)}")
        connection.execute(f"set variable analytics_user = {sql_string(user)}")
        relation, name = f"{ANALYTICS_SCHEMA}.{sql_name(view)}", f"{ANALYTICS_SCHEMA}.{view}"
        [(rows,)] = connection.execute(f"select count(*) from {relation}").fetchall()
        who = f"{role}" + (f" user {user}" if user else "")
        if rows == 0 and not allow_empty:
            raise ExportError(
                f"{name} has no rows for {who} in {published}; nothing written"
                " (--allow-empty writes the empty file)",
                EXIT_EMPTY,
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
        try:
            connection.execute(
                f"copy (select * from {relation}) to {sql_string(partial)} {FORMATS[file_format]}"
            )
            [(written,)] = connection.execute(
                f"select count(*) from {READERS[file_format]}({sql_string(partial)})"
            ).fetchall()
            if written != rows:
                raise ExportError(f"wrote {written} rows of {name} but it has {rows}")
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    print(
        f"export: wrote {rows} rows of {name} as {who} from {published} to {out}"
        + (" (EMPTY: --allow-empty)" if rows == 0 else "")
    )
    return rows


def export_snowflake(args: argparse.Namespace) -> int:
    if args.role != "DATA_ENGINEER" or args.user:
        raise ExportError("on Snowflake the export runs as dbt's role; --role/--user are DuckDB's")
    operation_args = f"{{view: {args.view}, format: {args.format}}}"
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt), "run-operation", "export_view", "--args", operation_args]
    return subprocess.run(command, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if os.environ.get("DBT_TARGET", "duckdb") == "snowflake":
            return export_snowflake(args)
        published = args.published or Path(
            os.environ.get("PUBLISHED_DUCKDB_PATH", DEFAULT_PUBLISHED_PATH)
        )
        out = args.out or Path("exports") / f"{args.view}.{args.format}"
        export_view(published, args.view, out, args.format, args.role, args.user, args.allow_empty)
    except ExportError as error:
        print(f"export: {one_line(error)}", file=sys.stderr)
        return error.exit_code
    except (OSError, duckdb.Error) as error:
        print(f"export: {type(error).__name__}: {one_line(error)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
