"""Every example in the README and docs/ opens a published DuckDB file read-only: a read-write
connection locks out every other reader, lets an analyst change the published file, and can leave
a log that the next published file would be replayed from (docs/publishing.md)."""

from __future__ import annotations

import re

import pytest
from conftest import PROJECT_ROOT

DOCS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
PYTHON_OPEN = re.compile(r"duckdb\.connect\(\s*['\"][^'\"]+\.duckdb['\"](?P<rest>[^)]*)\)")
CLI_OPEN = re.compile(r"(?<![\w.-])duckdb\s+(?P<flags>(?:-\S+\s+)*)\S+\.duckdb\b")


def examples(text: str) -> list[tuple[str, bool]]:
    """(example, opens read-only) for every DuckDB file an example opens."""
    found = [(m.group(0), "read_only=True" in m.group("rest")) for m in PYTHON_OPEN.finditer(text)]
    found += [(m.group(0), "-readonly" in m.group("flags")) for m in CLI_OPEN.finditer(text)]
    return found


@pytest.mark.parametrize(
    ("text", "read_only"),
    [
        ("duckdb.connect('warehouse.duckdb', read_only=True)", True),
        ('duckdb.connect("principals/LEAD_UK.duckdb")', False),
        ("duckdb -readonly warehouse.duckdb", True),
        ("run `duckdb warehouse.duckdb` to look", False),
    ],
)
def test_the_check_tells_read_only_from_read_write(text, read_only):
    assert examples(text) == [(examples(text)[0][0], read_only)]


def test_every_example_opens_its_duckdb_file_read_only():
    per_file = {path.name: examples(path.read_text()) for path in DOCS}
    assert sum(len(found) for found in per_file.values()) >= 3
    read_write = {name: [e for e, ok in found if not ok] for name, found in per_file.items()}
    assert {name: found for name, found in read_write.items() if found} == {}
