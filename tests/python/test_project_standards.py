"""Project standards checked against what dbt actually built, so docs and tests cannot drift
from the code: every model, seed and column is described, documented columns exist, every model
has a key test, CORE models have enforced contracts, and helpers copied between Python models
stay identical."""

from __future__ import annotations

import ast
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT
from test_warehouse_build import query

# No snapshots today (history models replaced them); a new one is held to the same rules.
DOCUMENTED_TYPES = ("model", "seed", "snapshot")


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


OWNERS = {
    "data-engineering", "analytics-engineering", "data-stewardship", "data-science",
    "data-governance",
}  # fmt: skip


def test_every_model_seed_and_source_names_its_owner(manifest, nodes):
    """meta.owner (dbt_project.yml per folder; the source's YAML): who to ask, in the docs site."""
    owned = [*nodes, *manifest["sources"].values()]
    owners = {node["unique_id"]: node["config"].get("meta", {}).get("owner") for node in owned}
    assert {uid: owner for uid, owner in owners.items() if owner not in OWNERS} == {}
    assert {owners[n["unique_id"]] for n in nodes} == OWNERS


def test_every_source_table_and_column_is_described(manifest):
    sources = [s for s in manifest["sources"].values() if s["package_name"] == "customer_analytics"]
    undescribed = [
        f"{s['source_name']}.{s['name']}" + (f".{column}" if column else "")
        for s in sources
        for column, text in [(None, s["description"]), (None, s["source_description"])]
        + [(name, c["description"]) for name, c in s["columns"].items()]
        if not text.strip()
    ]
    assert sources and undescribed == []
    assert all(s["columns"] for s in sources)


def test_every_source_is_in_the_lineage_of_a_model(manifest):
    """Optional sources too: optional_source() calls source() while parsing, so docs lineage and
    state:modified see dedupe_evaluation read crm.ground_truth."""
    read = {
        parent
        for child in manifest["nodes"].values()
        if child["resource_type"] == "model"
        for parent in child["depends_on"]["nodes"]
    }
    sources = {
        uid for uid, s in manifest["sources"].items() if s["package_name"] == "customer_analytics"
    }
    assert sources - read == set()
    evaluation = manifest["nodes"]["model.customer_analytics.dedupe_evaluation"]
    assert "source.customer_analytics.crm.ground_truth" in evaluation["depends_on"]["nodes"]


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
    assert {"transactions_fact", "stg_crm__transactions", "base_crm__transactions"} <= {
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


MACRO_NAME = re.compile(r"{%-?\s*macro\s+(\w+)\s*\(")


def dbt_macro_names() -> set[str]:
    """Every macro dbt-core and the two adapters ship, by name."""
    import dbt.include.duckdb
    import dbt.include.global_project
    import dbt.include.snowflake

    names = {"ref", "source", "config", "is_incremental"}
    for package in (dbt.include.global_project, dbt.include.duckdb, dbt.include.snowflake):
        for path in Path(package.PACKAGE_PATH).rglob("*.sql"):
            names |= set(MACRO_NAME.findall(path.read_text()))
    return names


def test_overrides_of_dbt_macros_live_in_macros_overrides():
    """A macro that replaces one of dbt's or dbt-snowflake's, by name, is in macros/overrides/ and
    says so on its first line; no other folder holds one."""
    shipped = dbt_macro_names()
    shipped |= {
        f"{adapter}__{name.removeprefix('default__')}"
        for name in shipped
        if name.startswith("default__")
        for adapter in ("duckdb", "snowflake")
    }  # an adapter's version of a dispatched dbt macro replaces dbt's for that adapter
    assert {"generate_schema_name", "snowflake__create_view_as_with_temp_flag"} <= shipped
    misplaced, unexplained = {}, []
    for path in sorted((PROJECT_ROOT / "macros").rglob("*.sql")):
        overriding = set(MACRO_NAME.findall(path.read_text())) & shipped
        folder = path.relative_to(PROJECT_ROOT / "macros").parts[0]
        if overriding and folder != "overrides":
            misplaced[path.name] = sorted(overriding)
        if folder == "overrides":
            assert overriding, f"{path.name} overrides nothing dbt ships"
            header = path.read_text().splitlines()[1:2]
            if not (header and header[0].strip().startswith("Overrides ")):
                unexplained.append(path.name)
    assert misplaced == {}
    assert unexplained == []


def layer_rule() -> dict[str, int]:
    """Folder → layer, from the table in docs/layers.md (the one place the rule is written)."""
    page = (PROJECT_ROOT / "docs" / "layers.md").read_text()
    rule = {}
    for layer, folders in re.findall(r"(?m)^\| (\d+) \| ([^|]+) \|", page):
        for folder in re.findall(r"`([^`]+)`", folders):
            rule[folder] = int(layer)
    return rule


def layer_of(node: dict, rule: dict[str, int]) -> int | None:
    if node["resource_type"] in ("seed", "source"):
        return rule[f"{node['resource_type']}s"]
    path = node["original_file_path"]
    folders = [folder for folder in rule if path.startswith(folder + "/")]
    return rule[max(folders, key=len)] if folders else None


def test_every_model_reads_its_own_layer_or_a_lower_one(manifest):
    rule = layer_rule()
    assert len(set(rule.values())) == 7
    everything = {**manifest["nodes"], **manifest["sources"]}
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    unplaced = [n["original_file_path"] for n in models if layer_of(n, rule) is None]
    assert unplaced == []
    upward = [
        f"{model['name']} (layer {layer_of(model, rule)}) reads {everything[parent]['name']}"
        f" (layer {layer_of(everything[parent], rule)})"
        for model in models
        for parent in model["depends_on"]["nodes"]
        if layer_of(everything[parent], rule) > layer_of(model, rule)
    ]
    assert upward == []
    reads_marts = [
        model["name"]
        for model in models
        if model["original_file_path"].startswith("models/intermediate/")
        for parent in model["depends_on"]["nodes"]
        if layer_of(everything[parent], rule) == rule["models/marts"]
    ]
    assert reads_marts == []


def test_unit_tests_fed_an_as_of_date_pin_the_var(manifest):
    """A unit test that gives int_as_of_date as a fixture must set var as_of_date to null: a
    what-if build (`dbt build --vars '{as_of_date: …}'`) would otherwise replace the fixture's
    date with its own and fail the test."""
    fed = [
        test
        for test in manifest["unit_tests"].values()
        if any("int_as_of_date" in given["input"] for given in test["given"])
    ]
    unpinned = [
        test["name"]
        for test in fed
        if "as_of_date" not in ((test.get("overrides") or {}).get("vars") or {})
        or test["overrides"]["vars"]["as_of_date"] is not None
    ]
    assert fed and unpinned == []
