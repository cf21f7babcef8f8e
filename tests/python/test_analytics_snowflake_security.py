"""The Snowflake side of analyst access, checked on what dbt compiles offline (no account is
reachable here): the policies' bodies, secure views, grants, no post-hook, and no DuckDB-only
filter left in the Snowflake views. The statements dbt-snowflake sends, and their order, are
checked in test_security_snowflake_statements.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT

pytestmark = pytest.mark.snowflake

DBT = Path(sys.executable).with_name("dbt")


def dbt_snowflake_offline(args: list[str], tmp_dir: Path, account: str = "offline") -> str:
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_ROOT),
        "DBT_TARGET": "snowflake",
        "SNOWFLAKE_ACCOUNT": account,
        "SNOWFLAKE_USER": "ci",
        "DBT_TARGET_PATH": str(tmp_dir / "target"),
        "DBT_LOG_PATH": str(tmp_dir / "logs"),
        "PYTHONWARNINGS": "ignore",
    }
    completed = subprocess.run(
        [str(DBT), *args, "--no-populate-cache", "--vars", "{offline: true}"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return completed.stdout


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> Path:
    tmp_dir = tmp_path_factory.mktemp("snowflake")
    dbt_snowflake_offline(["compile", "-q", "-s", "path:models/analytics"], tmp_dir)
    return tmp_dir


def test_policies_carry_the_same_rules_as_the_duckdb_views(tmp_path):
    inline = "{{ security_statements(audit, published) | join(';\\n') }}"
    databases = "{% set audit, published = 'CUSTOMER_ANALYTICS_AUDIT', 'CUSTOMER_ANALYTICS' %}"
    statements = dbt_snowflake_offline(["compile", "-q", "--inline", databases + inline], tmp_path)
    for role in ("DATA_ENGINEER", "CRM_ANALYST", "SALES_LEADERSHIP"):
        assert f"create role if not exists {role}" in statements
    region_policy = statements.split("create row access policy if not exists")[1].split(";")[0]
    assert "is_role_in_session('SALES_LEADERSHIP')" in region_policy
    assert "entitled.principal = current_user()" in region_policy
    assert "region_entitlements" in region_policy
    for database in ("CUSTOMER_ANALYTICS_AUDIT", "CUSTOMER_ANALYTICS"):
        for data_type in ("varchar", "date"):
            assert (
                f"create masking policy if not exists {database}.analytics.pii_mask_{data_type}"
                in statements
            )
    assert "'***MASKED***'" in statements


def test_snowflake_views_are_secure_granted_and_free_of_duckdb_filters(compiled):
    manifest = json.loads((compiled / "target" / "manifest.json").read_text())
    views = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["path"].startswith("analytics/")
    ]
    assert len(views) == 14
    for node in views:
        assert node["config"]["materialized"] == "view"
        assert node["config"]["secure"] is True, node["name"]
        readers = {"DATA_ENGINEER", "CRM_ANALYST", "SALES_LEADERSHIP"}
        if node["name"] == "v_data_quality":
            readers -= {"SALES_LEADERSHIP"}
        assert set(node["config"]["grants"]["select"]) == readers, node["name"]
        sql = (
            compiled / "target" / "compiled" / "customer_analytics" / node["original_file_path"]
        ).read_text()
        assert "getvariable" not in sql, node["name"]
        # policies are attached in the CREATE (macros/overrides), not by a hook after the grants
        assert node["config"]["post-hook"] == [], node["name"]
    core = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("schema") == "core"
    ]
    assert core and all(
        "SALES_LEADERSHIP" not in node["config"]["grants"]["select"] for node in core
    )
