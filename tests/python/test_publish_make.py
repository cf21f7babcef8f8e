"""The Makefile's side of publishing (issue 17, item 16): `make docs` builds the docs site from the
published warehouse, opened read-only, never from the working file; `make clean` removes build
outputs and never the published warehouse or the principals' files."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from conftest import PROJECT_ROOT, dbt_env, run_command

from customer_analytics.publish import publish_file

KEEP_INSTALLED = ["-o", ".venv/bin/dbt"]  # never reinstall the project from a test


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_make_docs_reads_the_published_file_read_only(built_warehouse, tmp_path):
    published = tmp_path / "published" / "warehouse.duckdb"
    publish_file(built_warehouse, published)
    before = digest(published)
    absent_working = tmp_path / "never_built" / "warehouse.duckdb"
    env = {**dbt_env(tmp_path, absent_working), "PUBLISHED_DUCKDB_PATH": str(published)}
    run = run_command(["make", *KEEP_INSTALLED, "-o", "plots", "docs"], env, PROJECT_ROOT)
    assert run.returncode == 0, run.output[-3000:]

    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    client_360 = catalog["nodes"]["model.customer_analytics.v_client_360"]
    assert client_360["metadata"]["type"] == "VIEW" and "email" in client_360["columns"]
    assert not absent_working.parent.exists()
    assert digest(published) == before
    assert not published.with_name("warehouse.duckdb.wal").exists()


def test_make_clean_keeps_the_published_warehouse(tmp_path):
    shutil.copy(PROJECT_ROOT / "Makefile", tmp_path / "Makefile")
    kept = [tmp_path / "warehouse.duckdb", tmp_path / "principals" / "LEAD_UK.duckdb"]
    removed = [tmp_path / "build" / "warehouse.duckdb", tmp_path / "target" / "manifest.json",
               tmp_path / "logs" / "dbt.log"]  # fmt: skip
    for path in kept + removed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    subprocess.run(["make", "-s", "clean"], cwd=tmp_path, check=True)
    assert [path for path in kept if not path.exists()] == []
    assert [path for path in removed if path.parent.exists()] == []
