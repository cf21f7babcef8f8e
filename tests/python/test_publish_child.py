"""The build step of `python -m customer_analytics.publish` never jams:

- a second build of the same working file while one runs stops at once with one line naming
  the running one (PID, since when), exit 75, no traceback;
- dbt runs as a child that cannot outlive the publisher: kill -9 of the publisher takes dbt with
  it, SIGTERM stops dbt and exits 143; either way the working file opens afterwards and its lock
  is free.

Each test starts a real `dbt build` and stops it once dbt holds the working file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_ROOT, dbt_env, run_command

from customer_analytics.locks import FileLock, duckdb_lock_holder, lock_path

PUBLISH = [sys.executable, "-m", "customer_analytics.publish"]


def process_state(pid: int, process: int | None = None) -> str | None:
    """The /proc state letter (R, S, Z, ...) of pid (a thread of process, if given), or None once
    it is gone."""
    stat = Path(f"/proc/{process}/task/{pid}/stat" if process else f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def running(pid: int) -> bool:
    """Whether any thread of pid is alive. A process whose main thread has exited shows Z while
    its other threads (DuckDB's, still holding the file lock) finish, and a child left to a PID 1
    that does not reap stays Z for good: only the threads tell the two apart."""
    try:
        threads = [task.name for task in Path(f"/proc/{pid}/task").iterdir()]
    except OSError:
        return False
    return any(process_state(int(tid), pid) not in (None, "Z") for tid in threads)


def children_of(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                children.append(int(entry.name))
    return children


def wait_for(condition: Callable[[], object], timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


@pytest.fixture(scope="module")
def dbt_dir(tmp_path_factory) -> Path:
    """target/ and logs/ shared by the tests, so that the second one parses partially."""
    return tmp_path_factory.mktemp("dbt")


@pytest.fixture
def building(tmp_path, dbt_dir):
    """A publisher whose dbt build holds the working file; yields (publisher, dbt pid, env)."""
    working = tmp_path / "working" / "warehouse.duckdb"
    env = {
        **dbt_env(dbt_dir, working),
        "PUBLISHED_DUCKDB_PATH": str(tmp_path / "published" / "warehouse.duckdb"),
    }
    out, err = (tmp_path / "publisher.out").open("w"), (tmp_path / "publisher.err").open("w")
    with out, err:
        publisher = subprocess.Popen(PUBLISH, env=env, cwd=PROJECT_ROOT, stdout=out, stderr=err)
    dbt_pid = None

    def dbt_holds_working_file() -> int | None:
        if publisher.poll() is not None:
            output = (tmp_path / "publisher.out").read_text()[-3000:]
            raise AssertionError(f"the publisher ended ({publisher.returncode}): {output}")
        holder = duckdb_lock_holder(working, writers_only=True)
        return holder if holder in children_of(publisher.pid) else None

    try:
        dbt_pid = wait_for(dbt_holds_working_file, 300, "dbt to open the working file")
        yield publisher, dbt_pid, env
    finally:
        for pid in (publisher.pid, dbt_pid):  # only ours; a no-op when the test went well
            if pid and running(pid):
                os.kill(pid, signal.SIGKILL)
        publisher.wait()


def assert_dbt_gone_and_working_file_usable(dbt_pid: int, env: dict) -> None:
    wait_for(lambda: not running(dbt_pid), 30, f"dbt (PID {dbt_pid}) to end")
    working = Path(env["DUCKDB_PATH"])
    with duckdb.connect(str(working)) as connection:  # read-write: what the next build needs
        connection.execute("select count(*) from duckdb_tables()").fetchone()
    FileLock(lock_path(working), "next build").acquire().release()
    assert not Path(env["PUBLISHED_DUCKDB_PATH"]).exists()


def test_a_second_build_stops_at_once_and_kill_9_takes_dbt_along(building):
    publisher, dbt_pid, env = building
    started = time.monotonic()
    second = run_command(PUBLISH, env, PROJECT_ROOT, timeout=120)
    elapsed = time.monotonic() - started
    assert second.returncode == 75, second.output[-3000:]
    assert len(second.output.strip().splitlines()) == 1, second.output[-3000:]
    assert f"PID {publisher.pid}" in second.output and " since " in second.output
    assert elapsed < 30

    os.kill(publisher.pid, signal.SIGKILL)
    publisher.wait(timeout=30)
    assert_dbt_gone_and_working_file_usable(dbt_pid, env)


def test_sigterm_stops_dbt_and_exits_with_one_line(building, tmp_path):
    publisher, dbt_pid, env = building
    publisher.send_signal(signal.SIGTERM)
    assert publisher.wait(timeout=60) == 128 + signal.SIGTERM
    assert "publish: stopped by SIGTERM" in (tmp_path / "publisher.err").read_text()
    assert_dbt_gone_and_working_file_usable(dbt_pid, env)
