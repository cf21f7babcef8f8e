"""Write-audit-publish: analysts only ever read a warehouse whose build and tests all passed.

    python -m customer_analytics.publish [dbt build arguments ...]

DuckDB (the default target). Write and audit: `dbt build` builds the working file (DUCKDB_PATH,
default build/warehouse.duckdb) and runs every data and unit test there. Publish: only if the
whole build passed is the working file copied next to the published file (PUBLISHED_DUCKDB_PATH,
default warehouse.duckdb) and renamed over it in one atomic step. Analysts and BI tools open only
the published file, so a failed build leaves what they read untouched, and a reader sees the
previous or the new warehouse, never a mix: a connection keeps reading the file it opened even
after the rename replaces the name. Both files must have the same name in different directories:
DuckDB names a file's catalog after it, and the views dbt creates name their tables' catalog, so a
copy under another name could not resolve them.

Snowflake (DBT_TARGET=snowflake). The target database is the audit database; analysts read
SNOWFLAKE_PUBLISHED_DATABASE. The audit database is first replaced by a zero-copy clone of the
published one, then built and tested, then swapped with it (macros/publish/snowflake_publish.sql).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

DEFAULT_WORKING_PATH = "build/warehouse.duckdb"
DEFAULT_PUBLISHED_PATH = "warehouse.duckdb"


def run_dbt(args: list[str], env: dict[str, str]) -> int:
    dbt = Path(sys.executable).with_name("dbt")
    return subprocess.run([str(dbt), *args], env=env, check=False).returncode


def require_publishable_pair(working: Path, published: Path) -> None:
    if working.name != published.name or working.resolve() == published.resolve():
        raise ValueError(
            f"the working file ({working}) and the published file ({published}) need the same"
            " file name in different directories: views name their catalog after the file"
        )


def publish_file(working: Path, published: Path) -> None:
    """Atomically replace `published` with a copy of the audited `working` file."""
    published.parent.mkdir(parents=True, exist_ok=True)
    # A checkpoint folds the write-ahead log into the file, so the copy holds everything.
    with duckdb.connect(str(working)) as connection:
        connection.execute("checkpoint")
    staged = published.with_name(published.name + ".publishing")
    shutil.copyfile(working, staged)
    with staged.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(staged, published)


def build_failed(returncode: int, kept: str) -> int:
    print(
        f"publish: dbt build failed (exit {returncode}); {kept} still holds the last published"
        " warehouse.",
        file=sys.stderr,
    )
    return returncode


def publish_duckdb(dbt_args: list[str], env: dict[str, str]) -> int:
    working = Path(env.get("DUCKDB_PATH", DEFAULT_WORKING_PATH))
    published = Path(env.get("PUBLISHED_DUCKDB_PATH", DEFAULT_PUBLISHED_PATH))
    require_publishable_pair(working, published)
    working.parent.mkdir(parents=True, exist_ok=True)
    returncode = run_dbt(["build", *dbt_args], {**env, "DUCKDB_PATH": str(working)})
    if returncode != 0:
        return build_failed(returncode, str(published))
    publish_file(working, published)
    print(f"publish: {working} passed every test and is now published as {published}.")
    return 0


def publish_snowflake(dbt_args: list[str], env: dict[str, str]) -> int:
    published = env.get("SNOWFLAKE_PUBLISHED_DATABASE", "")
    if not published:
        raise ValueError("set SNOWFLAKE_PUBLISHED_DATABASE to the database analysts read")
    returncode = run_dbt(["run-operation", "clone_published_for_audit"], env)
    if returncode != 0:
        return returncode
    returncode = run_dbt(["build", *dbt_args], env)
    if returncode != 0:
        return build_failed(returncode, published)
    return run_dbt(["run-operation", "publish_audited_database"], env)


def main(argv: list[str] | None = None) -> int:
    dbt_args = sys.argv[1:] if argv is None else argv
    env = dict(os.environ)
    if env.get("DBT_TARGET", "duckdb") == "snowflake":
        return publish_snowflake(dbt_args, env)
    return publish_duckdb(dbt_args, env)


if __name__ == "__main__":
    sys.exit(main())
