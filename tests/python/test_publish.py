"""Write-audit-publish (customer_analytics.publish) and idempotency. Analysts read only the
published file: a build whose tests fail leaves it untouched, a reader querying it while builds
run sees the old or the new warehouse (never an error or a mix), and two full builds of the same
input give identical content in every core and analytics relation, ML outputs included."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLE_DIR, copy_project, dbt_env, run_command, run_dbt
from published_reader import content_hashes

from customer_analytics import publish
from customer_analytics.publish import require_publishable_pair

READER = Path(__file__).with_name("published_reader.py")


def write_transactions(raw_dir: Path, share: float) -> None:
    with (SAMPLE_DIR / "transactions.csv").open(newline="", encoding="utf-8") as handle:
        header, *lines = list(csv.reader(handle))
    with (raw_dir / "transactions.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(lines[: int(len(lines) * share)])


HISTORY = ("stage.assignment_history", "stage.client_history")


def history_of(warehouse: Path) -> dict:
    return {name: value for name, value in content_hashes(warehouse, ("stage",)).items()
            if name in HISTORY}  # fmt: skip


def test_failed_audit_keeps_published_data_and_readers_never_see_a_mix(tmp_path):
    project = copy_project(tmp_path / "project")
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    for name in ("clients.csv", "products.csv", "ground_truth.csv"):
        (raw_dir / name).symlink_to(SAMPLE_DIR / name)
    published = tmp_path / "warehouse.duckdb"
    env = {
        **dbt_env(tmp_path, tmp_path / "working" / "warehouse.duckdb", project),
        "PUBLISHED_DUCKDB_PATH": str(published),
    }
    command = [sys.executable, "-m", "customer_analytics.publish", "--vars",
               f"{{raw_data_dir: {raw_dir}}}"]  # fmt: skip

    write_transactions(raw_dir, 0.8)
    first = run_command(command, env, project)
    assert first.returncode == 0, first.output[-4000:]
    old_state = content_hashes(published, ("analytics",))
    assert old_state and all(count > 0 for count, _ in old_state.values())

    observations = tmp_path / "observations.jsonl"
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, str(READER), str(published), str(observations), str(stop)]
    )
    try:
        write_transactions(raw_dir, 1.0)
        failing_test = project / "tests" / "marts" / "assert_injected_failure.sql"
        failing_test.write_text("select 1 as injected_failure\n")
        failed = run_command(command, env, project)
        assert failed.returncode != 0
        assert "assert_injected_failure" in failed.output
        assert "still holds the last published warehouse" in failed.output
        assert "reset to the published one" in failed.output
        assert content_hashes(published, ("analytics",)) == old_state
        published_history = history_of(published)
        assert len(published_history) == 2 and all(n > 0 for n, _ in published_history.values())
        assert history_of(Path(env["DUCKDB_PATH"])) == published_history

        failing_test.unlink()
        fixed = run_command(command, env, project)
        assert fixed.returncode == 0, fixed.output[-4000:]
        new_state = content_hashes(published, ("analytics",))
        assert new_state != old_state
    finally:
        stop.touch()
        reader.wait(timeout=60)

    seen = [json.loads(line) for line in observations.read_text().splitlines()]
    errors = [observation["error"] for observation in seen if "error" in observation]
    assert not errors
    states = [{name: tuple(value) for name, value in o["state"].items()} for o in seen]
    assert all(state in (old_state, new_state) for state in states)
    assert states[0] == old_state and states[-1] == new_state
    assert len(states) > 20


def test_two_full_builds_give_identical_core_and_analytics(built_warehouse, tmp_path):
    again = tmp_path / "again.duckdb"
    run = run_dbt(["build"], tmp_path, again)
    assert run.returncode == 0, run.output[-4000:]
    first = content_hashes(built_warehouse, ("core", "analytics"))
    second = content_hashes(again, ("core", "analytics"))
    assert len(first) > 30
    assert {name for name in first if first[name] != second.get(name)} == set()
    assert first == second


@pytest.mark.parametrize(
    ("working", "published"),
    [("build/warehouse.duckdb", "other.duckdb"), ("warehouse.duckdb", "warehouse.duckdb")],
)
def test_publishing_needs_the_same_file_name_in_another_directory(tmp_path, working, published):
    with pytest.raises(ValueError, match="same file name in different directories"):
        require_publishable_pair(tmp_path / working, tmp_path / published)
    require_publishable_pair(tmp_path / "build" / "warehouse.duckdb", tmp_path / "warehouse.duckdb")


@pytest.mark.parametrize(("build_exit", "expected_steps"), [(0, 3), (1, 2)])
def test_snowflake_publishes_only_after_a_passing_build(monkeypatch, build_exit, expected_steps):
    calls: list[list[str]] = []

    def fake_dbt(args, env):
        calls.append(args)
        return build_exit if args[0] == "build" else 0

    monkeypatch.setattr(publish, "run_dbt", fake_dbt)
    env = {"DBT_TARGET": "snowflake", "SNOWFLAKE_PUBLISHED_DATABASE": "CUSTOMER_ANALYTICS"}
    monkeypatch.setattr(publish.os, "environ", env)
    assert publish.main(["--select", "marts"]) == build_exit
    steps = [
        ["run-operation", "clone_published_for_audit"],
        ["build", "--select", "marts"],
        ["run-operation", "publish_audited_database"],
    ]
    assert calls == steps[:expected_steps]
