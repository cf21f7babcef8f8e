"""History end to end: build, change a territory rule and a client's email, build again, and
check the snapshots closed the old versions and opened new current ones."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from conftest import SAMPLE_DIR, copy_project, run_dbt
from test_warehouse_build import query

WHITELISTED_CLIENT = "SF-0109821"
NEW_RULE = {
    "rule_id": "WL-HISTORY", "rule_type": "whitelist", "priority": "1",
    "client_id": WHITELISTED_CLIENT, "territory_id": "T-KEY", "advisor_id": "A002",
    "effective_from": "2023-01-01", "description": "Moved to key accounts between builds",
}  # fmt: skip


def append_row(path: Path, values: dict) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.DictWriter(handle, fieldnames=header, lineterminator="\n").writerow(values)


def change_email(path: Path, client_id: str, email: str) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["client_id"] == client_id:
            row["email"] = email
            row["updated_at"] = "2025-12-30 12:00:00"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("history")
    project = copy_project(tmp / "project")
    raw_dir = tmp / "raw"
    shutil.copytree(SAMPLE_DIR, raw_dir)
    duckdb_path = tmp / "history.duckdb"

    def build(as_of: str) -> None:
        run = run_dbt(
            ["build", "--project-dir", str(project), "--vars",
             f"{{raw_data_dir: {raw_dir}, as_of_date: '{as_of}'}}"],
            tmp, duckdb_path, cwd=project,
        )  # fmt: skip
        assert run.returncode == 0, run.output[-4000:]

    build("2025-06-01")
    append_row(project / "seeds" / "reference" / "territory_rules.csv", NEW_RULE)
    change_email(raw_dir / "clients.csv", WHITELISTED_CLIENT, "new.owner@example.com")
    build("2026-01-01")
    return duckdb_path


def client_key_of(duckdb_path, client_id: str) -> str:
    [(key,)] = query(
        duckdb_path,
        f"select client_key from core.client_xref where source_client_id = '{client_id}'",
    )
    return key


def test_changed_rule_closes_the_old_assignment_and_opens_a_current_one(two_builds):
    key = client_key_of(two_builds, WHITELISTED_CLIENT)
    rows = query(
        two_builds,
        f"""
        select territory_key, advisor_key, rule_id, cast(valid_from as varchar),
               cast(valid_to as varchar), is_current
        from core.assignments_fact where client_key = '{key}' order by valid_from
        """,
    )
    assert rows == [
        ("T-UKI", rows[0][1], "GEO-GB", "2025-06-01", "2026-01-01", False),
        ("T-KEY", "A002", "WL-HISTORY", "2026-01-01", None, True),
    ]


def test_every_client_keeps_exactly_one_current_assignment(two_builds):
    [(clients, current, bad_windows)] = query(
        two_builds,
        """
        select
            (select count(*) from core.client_dim),
            (select count(*) from core.assignments_fact where is_current),
            (select count(*) from core.assignments_fact
             where not is_current and (valid_to is null or valid_to < valid_from))
        """,
    )
    assert current == clients
    assert bad_windows == 0


def test_changed_client_attribute_is_kept_as_history(two_builds):
    key = client_key_of(two_builds, WHITELISTED_CLIENT)
    rows = query(
        two_builds,
        f"""
        select email, dbt_valid_to is null from stage.client_dim_snapshot
        where client_key = '{key}' order by dbt_valid_from
        """,
    )
    assert len(rows) == 2
    assert rows[0][1] is False
    assert rows[1] == ("new.owner@example.com", True)
