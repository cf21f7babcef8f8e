"""Two publishers, one published path: every file a reader ever opens there is whole, readable,
and exactly one of the two builds; no staging file is left behind.

No dbt: two small prebuilt working files (the same file name in different directories, as
publishing requires) are published alternately by two processes, many times each, while an
analyst's process reads the published file in a loop."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from published_reader import content_hashes, make_working_file, staging_leftovers

from customer_analytics.publish import publish_file

READER = Path(__file__).with_name("published_reader.py")
PUBLISHES_EACH = 12
PUBLISHER = """
import sys
from pathlib import Path
from customer_analytics.publish import publish_file
for _ in range(int(sys.argv[3])):
    publish_file(Path(sys.argv[1]), Path(sys.argv[2]), lock_timeout_s=120)
"""


def test_two_publishers_to_one_path_never_tear_the_published_file(tmp_path, capsys):
    first = make_working_file(tmp_path / "a" / "warehouse.duckdb", "A", 200_000)
    second = make_working_file(tmp_path / "b" / "warehouse.duckdb", "B", 400_000)
    expected = {
        "A": content_hashes(first, ("core",)),
        "B": content_hashes(second, ("core",)),
    }
    published = tmp_path / "published" / "warehouse.duckdb"
    published.parent.mkdir()
    # What publishers killed before this fix (and with -9 after it) leave: removed under the lock.
    for leftover in ("warehouse.duckdb.publishing", "warehouse.duckdb.publishing-999999-dead"):
        (published.parent / leftover).write_bytes(b"half a file")
    publish_file(first, published)
    assert "left by a publisher that died" in capsys.readouterr().err
    assert staging_leftovers(published.parent) == []

    observations, stop = tmp_path / "observations.jsonl", tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, str(READER), str(published), str(observations), str(stop), "core"]
    )
    started = time.monotonic()
    publishers = [
        subprocess.Popen(
            [sys.executable, "-c", PUBLISHER, str(working), str(published), str(PUBLISHES_EACH)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for working in (first, second)
    ]
    try:
        outcomes = [(p.wait(timeout=600), p.stderr.read()) for p in publishers]
    finally:
        stop.touch()
        reader.wait(timeout=60)
    elapsed = time.monotonic() - started

    assert [code for code, _ in outcomes] == [0, 0], outcomes
    seen = [json.loads(line) for line in observations.read_text().splitlines()]
    errors = [observation["error"] for observation in seen if "error" in observation]
    assert errors == []
    states = [{name: tuple(value) for name, value in o["state"].items()} for o in seen]
    assert [state for state in states if state not in expected.values()] == []
    assert len(states) > 20
    assert {build for build, state in expected.items() if state in states} == {"A", "B"}
    assert staging_leftovers(published.parent) == []
    print(f"{2 * PUBLISHES_EACH} publishes and {len(states)} reads in {elapsed:.1f} s")
