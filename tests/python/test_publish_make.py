"""The Makefile's side of publishing: `make docs` builds the docs site from the
published warehouse, opened read-only, never from the working file; `make clean` removes build
outputs and never the published warehouse or the principals' files."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

from conftest import PROJECT_ROOT


def test_make_docs_reads_the_published_file_read_only(docs_site):
    catalog = json.loads((docs_site.target / "catalog.json").read_text())
    client_360 = catalog["nodes"]["model.customer_analytics.v_client_360"]
    assert client_360["metadata"]["type"] == "VIEW" and "email" in client_360["columns"]
    assert not docs_site.absent_working.parent.exists()
    assert hashlib.sha256(docs_site.published.read_bytes()).hexdigest() == (
        docs_site.published_digest
    )
    assert not docs_site.published.with_name("warehouse.duckdb.wal").exists()


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
