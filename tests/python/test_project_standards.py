"""Project standards checked against what dbt actually built, so docs and tests cannot drift
from the code: every model, seed and column is described, documented columns exist, every model
has a key test, CORE models have enforced contracts, and helpers copied between Python models
stay identical."""

from __future__ import annotations

import ast
import json
from collections import defaultdict

import pytest
from conftest import PROJECT_ROOT
from test_warehouse_build import query

DOCUMENTED_TYPES = ("model", "seed")


@pytest.fixture(scope="module")
def manifest(built_warehouse) -> dict:
    return json.loads((built_warehouse.parent / "target" / "manifest.json").read_text())


@pytest.fixture(scope="module")
def nodes(manifest) -> list[dict]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] in DOCUMENTED_TYPES
        and node["package_name"] == "customer_analytics"
    ]


@pytest.fixture(scope="module")
def built_columns(built_warehouse) -> dict[tuple[str, str], set[str]]:
    columns: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in query(
        built_warehouse,
        "select table_schema, table_name, column_name from information_schema.columns",
    ):
        columns.setdefault((schema, table), set()).add(column)
    return columns


def test_every_model_and_seed_is_described(nodes):
    undescribed = [node["name"] for node in nodes if not node["description"].strip()]
    assert nodes and undescribed == []


def test_documented_columns_are_exactly_the_built_columns(nodes, built_columns):
    drift = {}
    for node in nodes:
        built = built_columns[(node["schema"], node["alias"])]
        documented = set(node["columns"])
        if built != documented:
            drift[node["name"]] = {
                "undocumented": sorted(built - documented),
                "not_built": sorted(documented - built),
            }
    assert drift == {}


def test_every_documented_column_has_a_description(nodes):
    missing = [
        f"{node['name']}.{name}"
        for node in nodes
        for name, column in node["columns"].items()
        if not column["description"].strip()
    ]
    assert missing == []


KEY_TESTS = ("unique", "unique_combination", "key_and_row_rules")


def test_every_model_has_a_key_test(manifest, nodes):
    keyed = {
        test["attached_node"]
        for test in manifest["nodes"].values()
        if test["resource_type"] == "test"
        and (test.get("test_metadata") or {}).get("name") in KEY_TESTS
    }
    models = [node for node in nodes if node["resource_type"] == "model"]
    assert [node["name"] for node in models if node["unique_id"] not in keyed] == []


LINE_KEYS = ("transaction_line_key", "transaction_line_id")


def test_python_models_read_aggregates_not_invoice_lines(manifest, nodes):
    """Python models pull their whole input into memory: they read invoice- or client-level
    relations prepared in SQL, never a relation with a row per invoice line (one keyed by a line
    key, or read straight from the raw transactions file)."""
    keyed_on = defaultdict(set)
    for test in manifest["nodes"].values():
        metadata = test.get("test_metadata") or {}
        if test["resource_type"] == "test" and test.get("attached_node"):
            kwargs = metadata.get("kwargs") or {}
            key = kwargs.get("key")
            keyed_on[test["attached_node"]] |= {kwargs.get("column_name")}
            keyed_on[test["attached_node"]] |= set(key) if isinstance(key, list) else {key}
    line_level = {
        node["unique_id"]
        for node in nodes
        if keyed_on[node["unique_id"]] & set(LINE_KEYS)
        or "source.customer_analytics.crm.transactions" in node["depends_on"].get("nodes", [])
    }
    assert {"fct_transactions", "stg_crm__transactions", "base_crm__transactions"} <= {
        manifest["nodes"][unique_id]["name"] for unique_id in line_level
    }
    python_models = [node for node in nodes if node.get("language") == "python"]
    assert len(python_models) >= 4
    reads = {
        node["name"]: sorted(
            manifest["nodes"][parent]["name"]
            for parent in node["depends_on"]["nodes"]
            if parent in line_level
        )
        for node in python_models
    }
    assert reads == {node["name"]: [] for node in python_models}


# Each groups every product line by client, invoice and product: at 50 M lines their two hash
# tables side by side did not fit in DuckDB's memory_limit (docs/benchmarks.md), so the DAG
# orders them and dbt never schedules them at the same time.
LINE_GROUP_BYS = ("int_client_invoices", "client_product_relationships")


def ancestors(manifest: dict, unique_id: str) -> set[str]:
    seen: set[str] = set()
    pending = [unique_id]
    while pending:
        parents = set(manifest["parent_map"].get(pending.pop(), [])) - seen
        seen |= parents
        pending.extend(parents)
    return seen


def test_line_level_group_bys_run_one_after_another(manifest, nodes):
    ids = {node["name"]: node["unique_id"] for node in nodes}
    chain = [ids[name] for name in LINE_GROUP_BYS]
    unordered = [
        (first, second)
        for position, first in enumerate(chain)
        for second in chain[position + 1 :]
        if first not in ancestors(manifest, second)
    ]
    assert unordered == []


def test_core_models_enforce_contracts(nodes):
    core = [node for node in nodes if node["resource_type"] == "model" and node["schema"] == "core"]
    assert core
    assert [node["name"] for node in core if not node["config"]["contract"]["enforced"]] == []


def test_helpers_copied_between_python_models_are_identical():
    """Snowflake runs each Python model file alone, so shared helpers (to_pandas, for_warehouse,
    as_envelope, day_numbers, ...) are copied into every model that needs them; a fix made to one
    copy must be made to all."""
    copies: dict[str, dict[str, str]] = defaultdict(dict)
    for path in sorted((PROJECT_ROOT / "python_models").rglob("*.py")):
        source = path.read_text()
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name != "model":
                copies[node.name][path.name] = ast.get_source_segment(source, node)
    shared = {name: files for name, files in copies.items() if len(files) > 1}
    assert {"to_pandas", "for_warehouse", "as_envelope", "day_numbers"} <= set(shared)
    differing = {
        name: sorted(files) for name, files in shared.items() if len(set(files.values())) > 1
    }
    assert differing == {}
