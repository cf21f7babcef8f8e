"""What dbt-snowflake sends, in order, when it builds the analytics views, sets up security and
publishes (no Snowflake account is reachable here; statement_capture records every statement
with fakesnow standing in, and answers the ones fakesnow cannot run without running them).

Proven on that sequence: each analytics view is created with its row access policy on its
region column and masking policies on its PII columns (the meta in _analytics__models.yml) in
the CREATE itself, and every GRANT on it comes after; setup_security creates each policy with its
real body before any grant; and no analyst role is ever granted USAGE on the audit database,
while publishing leaves them USAGE on the published one."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import sqlglot
import yaml
from conftest import PROJECT_ROOT, SAMPLE_DIR
from sqlglot import exp
from statement_capture import Recorder, recording_fakesnow, run_sql, write_profile

pytestmark = pytest.mark.snowflake

AUDIT = "CUSTOMER_ANALYTICS_AUDIT"
PUBLISHED = "CUSTOMER_ANALYTICS"
ANALYSTS = ("CRM_ANALYST", "SALES_LEADERSHIP")
ANALYTICS_YML = PROJECT_ROOT / "models" / "analytics" / "_analytics__models.yml"
RAW_FILES = ["clients", "products", "transactions"]


def declared_access() -> dict[str, dict]:
    """Each analytics view's meta: region_column and pii_columns, as the YAML declares them."""
    models = yaml.safe_load(ANALYTICS_YML.read_text())["models"]
    return {model["name"]: model.get("config", {}).get("meta", {}) for model in models}


class Dbt:
    """dbt in this process, against the recording emulator."""

    def __init__(self, recorder: Recorder, tmp_dir: Path):
        from dbt.cli.main import dbtRunner

        self.recorder = recorder
        self.runner = dbtRunner()
        self.common = [
            "--project-dir",
            str(PROJECT_ROOT),
            "--profiles-dir",
            str(write_profile(tmp_dir / "profile", AUDIT)),
            "--target",  # not DBT_TARGET from the caller's environment
            "capture",
            "--target-path",
            str(tmp_dir / "target"),
            "--log-path",
            str(tmp_dir / "logs"),
        ]

    def invoke(self, *args: str):
        result = self.runner.invoke(
            [*args, *self.common, "--vars", f"{{published_database: {PUBLISHED}}}"]
        )
        assert result.success, f"dbt {' '.join(args)} failed: {result.exception}"
        return result


def create_upstream_tables(manifest, raw_dir: Path) -> None:
    """Empty tables shaped like the models the analytics views read (their contracts give the
    types), a few raw lines so the run-start checks of the raw sources pass, and the published
    database."""
    views = [
        node
        for node in manifest.nodes.values()
        if node.resource_type == "model" and node.original_file_path.startswith("models/analytics/")
    ]
    parents = {parent for view in views for parent in view.depends_on.nodes}
    statements = [
        f"create database if not exists {PUBLISHED}",
        f"create schema if not exists {AUDIT}.raw",
    ]
    for unique_id in sorted(parents):
        node = manifest.nodes[unique_id]
        columns = ", ".join(
            f"{name} {column.data_type or 'varchar'}" for name, column in node.columns.items()
        )
        statements.append(f"create schema if not exists {AUDIT}.{node.schema}")
        statements.append(f"create or replace table {AUDIT}.{node.schema}.{node.alias} ({columns})")
    for name in RAW_FILES:
        statements.append(
            f"create or replace table {AUDIT}.raw.{name} as select * from read_csv("
            f"'{raw_dir / (name + '.csv')}', header=true, all_varchar=true) limit 20"
        )
    run_sql(AUDIT, statements)


@pytest.fixture(scope="module")
def captured(tmp_path_factory) -> dict[str, list[str]]:
    tmp_dir = tmp_path_factory.mktemp("capture")
    raw_dir = tmp_dir / "raw"
    raw_dir.mkdir()
    for name in RAW_FILES:
        shutil.copy(SAMPLE_DIR / f"{name}.csv", raw_dir)
    recorder = Recorder(databases={AUDIT, PUBLISHED})
    with recording_fakesnow(recorder):
        dbt = Dbt(recorder, tmp_dir)
        manifest = dbt.invoke("parse").result
        create_upstream_tables(manifest, raw_dir)
        recorder.take()
        dbt.invoke("run", "--select", "path:models/analytics")
        views = recorder.take()
        dbt.invoke("run-operation", "setup_security")
        setup = recorder.take()
        dbt.invoke("run-operation", "publish_audited_database")
        swap = recorder.take()
        recorder.databases = {AUDIT}
        dbt.invoke("run-operation", "publish_audited_database")
        first_publish = recorder.take()
    return {"views": views, "setup": setup, "swap": swap, "first_publish": first_publish}


def first_index(statements: list[str], pattern: str) -> int:
    found = [i for i, statement in enumerate(statements) if re.search(pattern, statement, re.I)]
    assert found, f"no statement matches {pattern!r}"
    return found[0]


def attached_policies(create: str) -> tuple[list[tuple[str, list[str]]], dict[str, str]]:
    """A CREATE VIEW parsed with sqlglot's Snowflake dialect: its row access policies (policy,
    columns) and its masked columns {COLUMN: policy}."""
    parsed = sqlglot.parse_one(create, read="snowflake")
    assert isinstance(parsed, exp.Create) and parsed.kind == "VIEW", create[:200]
    row_access = [
        (prop.this.sql(), [column.name for column in prop.expressions])
        for prop in parsed.find_all(exp.RowAccessProperty)
    ]
    masked = {
        column.name: constraint.kind.this.sql()
        for column in parsed.this.expressions
        for constraint in column.args.get("constraints") or []
        if isinstance(constraint.kind, exp.MaskingPolicyColumnConstraint)
    }
    return row_access, masked


def test_every_analytics_view_is_created_with_its_policies_before_any_grant(captured):
    statements = captured["views"]
    access = declared_access()
    assert len(access) == 14
    policies = f"{AUDIT}.analytics"
    for view, meta in access.items():
        relation = rf"{AUDIT}\.analytics\.{view}\b"
        create_at = first_index(statements, rf"^create or replace\s+secure\s+view {relation}")
        row_access, masked = attached_policies(statements[create_at])
        region = meta.get("region_column")
        assert row_access == ([(f"{policies}.region_access", [region])] if region else []), view
        assert masked == {
            column.upper(): f"{policies}.pii_mask_{data_type}"
            for column, data_type in meta.get("pii_columns", {}).items()
        }, view
        grants = [
            i
            for i, statement in enumerate(statements)
            if re.match(rf"grant\s.*\son\s+(view\s+)?{relation}", statement, re.I)
        ]
        granted = {
            re.search(r"\sto\s+(?:role\s+)?(\w+)", statements[i], re.I).group(1).upper()
            for i in grants
        }
        readers = {"DATA_ENGINEER", "CRM_ANALYST", "SALES_LEADERSHIP"}
        if view == "v_data_quality":
            readers -= {"SALES_LEADERSHIP"}
        assert len(grants) == len(readers) and granted == readers, (view, grants)
        assert min(grants) > create_at, f"{view}: granted before it was created"
        altered = [
            statement
            for statement in statements
            if re.match(rf"alter\s+view\s+{relation}", statement, re.I)
        ]
        assert not altered, f"{view}: policies changed outside the CREATE: {altered}"


def test_each_policy_is_created_with_its_real_body_before_any_grant(captured):
    statements = captured["setup"]
    first_grant = first_index(statements, r"^grant\s")
    creates = {
        match.group(1): (i, match.group(2))
        for i, statement in enumerate(statements)
        if (
            match := re.match(
                r"create (?:row access|masking) policy if not exists (\S+) .*?->(.*)",
                statement,
                re.I | re.S,
            )
        )
    }
    assert creates
    for policy, (at, body) in creates.items():
        assert at < first_grant, f"{policy} created after a grant"
        assert body.strip().lower() not in ("true", "value"), f"{policy} created open: {body}"
        assert "is_role_in_session('DATA_ENGINEER')" in body, policy
        # sqlglot cannot parse policy DDL, but the body is an expression it can check
        assert isinstance(sqlglot.parse_one(f"select {body}", read="snowflake"), exp.Select)
        if "region_access" in policy:
            assert "is_role_in_session('SALES_LEADERSHIP')" in body
            assert "entitled.principal = current_user()" in body
            assert re.search(r"from raw\.region_entitlements", body), body
        elif "pii_mask_varchar" in policy:
            assert "'***MASKED***'" in body
    for database in (AUDIT, PUBLISHED):
        names = {
            f"{database}.analytics.{name}"
            for name in ("region_access", "pii_mask_varchar", "pii_mask_date")
        }
        assert names <= creates.keys(), creates.keys()
    for i, statement in enumerate(statements):
        altered = re.match(
            r"alter (?:row access|masking) policy (\S+) set body ->(.*)", statement, re.I | re.S
        )
        if altered:
            assert altered.group(1) in creates and creates[altered.group(1)][0] < i
            assert altered.group(2).strip() == creates[altered.group(1)][1].strip()


def analyst_grants_on(statements: list[str], database: str) -> list[str]:
    return [
        statement
        for statement in statements
        if re.match(
            rf"grant\s.*\son\s+(database|schema)\s+{database}\b.*\sto role ({'|'.join(ANALYSTS)})$",
            statement,
            re.I,
        )
    ]


def test_setup_grants_analysts_the_published_database_and_never_the_audit_one(captured):
    statements = captured["setup"]
    assert analyst_grants_on(statements, AUDIT) == []
    assert not [
        s
        for s in statements
        if re.search(rf"\bto role ({'|'.join(ANALYSTS)})$", s, re.I) and AUDIT in s
    ]
    for role in ANALYSTS:
        assert f"grant usage on database {PUBLISHED} to role {role}" in statements
        assert f"grant usage on schema {PUBLISHED}.analytics to role {role}" in statements
        assert f"revoke usage on database {AUDIT} from role {role}" in statements
    assert f"grant usage on schema {PUBLISHED}.core to role CRM_ANALYST" in statements
    assert f"grant usage on schema {PUBLISHED}.core to role SALES_LEADERSHIP" not in statements


def test_publish_moves_database_usage_to_the_database_now_published(captured):
    statements = captured["swap"]
    swap = statements.index(f"alter database {AUDIT} swap with {PUBLISHED}")
    assert analyst_grants_on(statements, AUDIT) == []
    for role in ANALYSTS:
        revoke = statements.index(f"revoke usage on database {AUDIT} from role {role}")
        grant = statements.index(f"grant usage on database {PUBLISHED} to role {role}")
        schema = statements.index(f"grant usage on schema {PUBLISHED}.analytics to role {role}")
        assert swap < revoke < schema < grant
    assert statements[-1].startswith("grant usage on database")


def test_the_first_publish_renames_and_grants_usage_on_the_published_name(captured):
    statements = captured["first_publish"]
    rename = statements.index(f"alter database {AUDIT} rename to {PUBLISHED}")
    assert analyst_grants_on(statements, AUDIT) == []
    for role in ANALYSTS:
        assert statements.index(f"grant usage on database {PUBLISHED} to role {role}") > rename
