"""What can go wrong around the published file, each ending in one clear line and a published
file that opens: a connection that wrote to the published file and
died, one that is still writing, an OSError on the rename, a stop signal while staging, a
publish lock held too long. No dbt: run_dbt is replaced by a build that passes at once."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from published_reader import content_hashes, make_working_file, staging_leftovers

from customer_analytics import publish
from customer_analytics.locks import FileLock, lock_path

ANALYST_WRITES_AND_DIES = """
import os, sys, duckdb
os.chmod(sys.argv[1], 0o644)  # the owner (or root) can always undo the read-only mode
connection = duckdb.connect(sys.argv[1])
connection.execute("create table core.scratch as select 42 as answer")
connection.execute("insert into core.facts select 1, 'analyst', 'x'")
os._exit(0)  # no close, no checkpoint: the log stays beside the file
"""
ANALYST_KEEPS_WRITING = """
import os, sys, time, duckdb
os.chmod(sys.argv[1], 0o644)
connection = duckdb.connect(sys.argv[1])
connection.execute("create table core.scratch as select 42 as answer")
print("open", flush=True)
time.sleep(120)
"""
SLOW_STAGING_PUBLISH = """
import time
from customer_analytics import publish
copy = publish.write_for_old_clients
def slow_copy(*args):
    copy(*args)
    print("staged", flush=True)
    time.sleep(120)
publish.write_for_old_clients = slow_copy
publish.run_dbt = lambda args, env: 0
raise SystemExit(publish.main([]))
"""


@pytest.fixture
def builds(tmp_path) -> dict[str, Path]:
    return {
        "old": make_working_file(tmp_path / "old" / "warehouse.duckdb", "old", 1000),
        "new": make_working_file(tmp_path / "new" / "warehouse.duckdb", "new", 2000),
    }


@pytest.fixture
def published(tmp_path, builds) -> Path:
    """The old build, published."""
    path = tmp_path / "published" / "warehouse.duckdb"
    publish.publish_file(builds["old"], path)
    return path


def publish_env(monkeypatch, working: Path, published: Path) -> None:
    monkeypatch.setenv("DUCKDB_PATH", str(working))
    monkeypatch.setenv("PUBLISHED_DUCKDB_PATH", str(published))
    monkeypatch.setenv("DBT_TARGET", "duckdb")
    monkeypatch.setattr(publish, "run_dbt", lambda args, env: 0)


def one_line_error(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_published_file_is_read_only_on_disk(published):
    assert stat.S_IMODE(published.stat().st_mode) == 0o444


def test_a_stale_log_is_set_aside_and_never_replayed_into_the_new_file(
    published, builds, monkeypatch, capsys
):
    died = subprocess.run([sys.executable, "-c", ANALYST_WRITES_AND_DIES, str(published)])
    assert died.returncode == 0
    assert published.with_name("warehouse.duckdb.wal").exists()

    publish_env(monkeypatch, builds["new"], published)
    assert publish.main([]) == 0
    assert content_hashes(published, ("core",)) == content_hashes(builds["new"], ("core",))
    assert "moved" in capsys.readouterr().err
    assert len(list(published.parent.glob("warehouse.duckdb.wal.stale-*"))) == 1
    assert staging_leftovers(published.parent) == []


def test_a_live_writer_stops_the_publish_with_its_pid(published, builds, monkeypatch, capsys):
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST_KEEPS_WRITING, str(published)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert analyst.stdout.readline().strip() == "open"
        publish_env(monkeypatch, builds["new"], published)
        assert publish.main([]) == 75  # EX_TEMPFAIL, documented
        message = one_line_error(capsys)
        assert f"PID {analyst.pid}" in message and "read-write" in message
    finally:
        analyst.kill()
        analyst.wait()
    assert staging_leftovers(published.parent) == ["warehouse.duckdb.wal"]  # the analyst's own
    published.with_name("warehouse.duckdb.wal").unlink()
    assert content_hashes(published, ("core",)) == content_hashes(builds["old"], ("core",))


def test_an_os_error_on_the_rename_is_one_line_and_leaves_no_staging_file(
    published, builds, monkeypatch, capsys
):
    real_replace = os.replace

    def immutable_published(source, target):
        if Path(target) == published:
            raise PermissionError(1, "Operation not permitted", str(source), None, str(target))
        return real_replace(source, target)

    publish_env(monkeypatch, builds["new"], published)
    monkeypatch.setattr(os, "replace", immutable_published)
    assert publish.main([]) == 1
    message = one_line_error(capsys)
    assert str(published) in message and "Operation not permitted" in message
    assert staging_leftovers(published.parent) == []
    assert content_hashes(published, ("core",)) == content_hashes(builds["old"], ("core",))


def test_sigterm_while_staging_removes_the_staging_file(published, builds):
    env = {
        **os.environ,
        "DUCKDB_PATH": str(builds["new"]),
        "PUBLISHED_DUCKDB_PATH": str(published),
        "DBT_TARGET": "duckdb",
    }
    publisher = subprocess.Popen(
        [sys.executable, "-c", SLOW_STAGING_PUBLISH],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert publisher.stdout.readline().strip() == "staged"
    assert staging_leftovers(published.parent) != []
    publisher.send_signal(signal.SIGTERM)
    _, err = publisher.communicate(timeout=60)
    assert publisher.returncode == 128 + signal.SIGTERM
    assert err.strip().splitlines() == [err.strip()] and "stopped by SIGTERM" in err
    assert staging_leftovers(published.parent) == []
    assert content_hashes(published, ("core",)) == content_hashes(builds["old"], ("core",))


def test_a_publisher_waits_a_bounded_time_for_the_publish_lock(published, builds):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from pathlib import Path
            from customer_analytics.locks import FileLock
            FileLock(Path({str(lock_path(published))!r}), "holder").acquire()
            print("locked", flush=True)
            time.sleep(120)
        """)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(publish.LockBusy, match=rf"PID {holder.pid} .* since .* 0.5 s"):
            publish.publish_file(builds["new"], published, lock_timeout_s=0.5)
        assert 0.5 <= time.monotonic() - started < 5
    finally:
        holder.kill()
        holder.wait()
    publish.publish_file(builds["new"], published, lock_timeout_s=5)  # released with its holder
    assert content_hashes(published, ("core",)) == content_hashes(builds["new"], ("core",))
    FileLock(lock_path(published), "after").acquire().release()
