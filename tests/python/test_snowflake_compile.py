"""The whole project compiles for Snowflake without a connection, and what it compiles to is
Snowflake SQL: every compiled model, test and analysis parses with sqlglot's Snowflake dialect,
and none carries a DuckDB-only construct (sqlglot alone is lenient: it accepts unknown functions).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlglot
from conftest import run_command
from test_analytics_snowflake_security import dbt_snowflake_offline

pytestmark = pytest.mark.snowflake

# DuckDB spellings with no Snowflake meaning; each belongs in a dispatched macro instead.
DUCKDB_ONLY = {
    "getvariable(": "session variables (macros/security)",
    "string_agg(": "listagg (sorted_string_agg / ordered_string_agg)",
    "isodow(": "dayofweekiso (iso_weekday)",
    "date_diff(": "datediff (dbt.datediff)",
    "strftime(": "to_char",
    "read_csv": "a stage (load_raw_from_stage)",
    "regexp_matches(": "regexp_like (macros/dispatch/regex.sql)",
    "list_value(": "array_construct",
    "md5_number(": "hash_fraction",
}
INTERVAL_UNQUOTED = re.compile(r"interval\s+\d+\s+\w+", re.IGNORECASE)


@pytest.fixture(scope="module")
def compiled_files(tmp_path_factory) -> list[Path]:
    """What `make compile-snowflake` (docs/snowflake.md) writes, run as documented: no
    Snowflake credentials in the environment."""
    tmp_dir = tmp_path_factory.mktemp("snowflake_compile")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SNOWFLAKE_", "DBT_"))}
    env |= {"DBT_TARGET_PATH": str(tmp_dir / "target"), "DBT_LOG_PATH": str(tmp_dir / "logs")}
    # -o: never reinstall the venv the other test workers are running from.
    make = ["make", "--no-print-directory", "-o", ".venv/bin/dbt", "compile-snowflake"]
    made = run_command([*make, "DBT_ARGS=-q"], env)
    assert made.returncode == 0, made.output[-5000:]
    root = tmp_dir / "target" / "compiled" / "customer_analytics"
    return sorted(path for path in root.rglob("*.sql") if path.is_file())


def test_everything_compiles_offline(compiled_files):
    kinds = {
        path.parts[-2] if path.parts[-3] == "models" else path.parts[-3] for path in compiled_files
    }
    assert len(compiled_files) > 300, len(compiled_files)
    assert any("analytics" in str(path) for path in compiled_files)
    assert kinds


def test_every_compiled_file_parses_as_snowflake_sql(compiled_files):
    failures = {}
    for path in compiled_files:
        try:
            sqlglot.parse(path.read_text(), read="snowflake", error_level=sqlglot.ErrorLevel.RAISE)
        except sqlglot.errors.ParseError as error:
            failures[str(path)] = str(error)[:200]
    assert failures == {}


def test_no_duckdb_only_syntax_is_left_in_snowflake_sql(compiled_files):
    found = {}
    for path in compiled_files:
        text = path.read_text().lower()
        for token, instead in DUCKDB_ONLY.items():
            if token in text:
                found.setdefault(str(path), []).append(f"{token} (use {instead})")
        if INTERVAL_UNQUOTED.search(text):
            found.setdefault(str(path), []).append("unquoted interval (use dbt.dateadd)")
    assert found == {}


SHIM_PROBE = (
    "{{ snowflake_dml_explicit_transaction('merge into t as DBT_INTERNAL_DEST using s as"
    " DBT_INTERNAL_SOURCE on false when not matched then insert (a, b) values (a, b)') }}"
    " | {{ hash_fraction('k') }} | {{ is_fakesnow() }}"
)


def test_emulator_shims_change_nothing_on_a_real_account(tmp_path):
    real = dbt_snowflake_offline(["compile", "-q", "--inline", SHIM_PROBE], tmp_path / "real")
    emulated = dbt_snowflake_offline(
        ["compile", "-q", "--inline", SHIM_PROBE], tmp_path / "emulated", account="fakesnow"
    )
    assert "begin;" in real and "commit;" in real and "values (a, b)" in real
    assert "to_number(left(md5(k), 8), 'XXXXXXXX')" in real and real.rstrip().endswith("False")
    assert "begin;" not in emulated
    assert "values (DBT_INTERNAL_SOURCE.a, DBT_INTERNAL_SOURCE.b)" in emulated
    assert "to_number" not in emulated and emulated.rstrip().endswith("True")


def test_models_refer_to_each_other_without_the_database(compiled_files):
    """A database swap publishes the audited build (macros/publish): a view swapped in must read
    its own database's tables, so no compiled model names the target database before one of
    the project's schemas (sources, in RAW, may)."""
    database_qualified = re.compile(r"\bcustomer_analytics\.(stage|core|analytics)\.", re.I)
    models = [path for path in compiled_files if "models" in path.parts]
    assert any("analytics" in path.parts for path in models)
    assert [str(path) for path in models if database_qualified.search(path.read_text())] == []
    analytics_sql = " ".join(p.read_text() for p in models if "analytics" in p.parts).lower()
    assert "from core." in analytics_sql


PUBLISH_PROBE = (
    "{{ clone_database_sql('CUSTOMER_ANALYTICS', 'CUSTOMER_ANALYTICS_AUDIT') }};"
    " {{ swap_databases_sql('CUSTOMER_ANALYTICS_AUDIT', 'CUSTOMER_ANALYTICS') }}"
)


def test_publish_statements_are_snowflake_sql(tmp_path):
    compiled = dbt_snowflake_offline(["compile", "-q", "--inline", PUBLISH_PROBE], tmp_path)
    statements = [s.strip() for s in compiled.strip().split(";")]
    assert statements == [
        "create or replace database CUSTOMER_ANALYTICS_AUDIT clone CUSTOMER_ANALYTICS",
        "alter database CUSTOMER_ANALYTICS_AUDIT swap with CUSTOMER_ANALYTICS",
    ]
    for statement in statements:
        sqlglot.parse_one(statement, read="snowflake")
