"""Write-audit-publish: analysts only ever read a warehouse whose build and tests all passed.

    python -m customer_analytics.publish [dbt build arguments ...]

DuckDB (the default target); the rules are written out in docs/publishing.md.

1. Lock the build: an flock on `<working>.lock` (working file: DUCKDB_PATH, default
   build/warehouse.duckdb). A second build or publish of the same working file stops at once
   with one line naming the holder's PID and start time (exit 75). So does a build whose working
   file another process has open (DuckDB could not open it read-write).
2. Write and audit: `dbt build` into the working file, run as a child process that cannot outlive
   this one (Linux: PR_SET_PDEATHSIG = SIGKILL; SIGTERM/SIGINT/SIGHUP to the publisher stop the
   child first). A failed build or test leaves the published file alone, and the history models
   (tag `history`) of the working file are reset to the published ones: history holds what
   published builds recorded, as on Snowflake, where every build starts from a clone of the
   published database.
3. Publish, only if the whole build passed, holding an flock on `<published>.lock` (a second
   publisher to the same published file waits up to PUBLISH_LOCK_TIMEOUT_S, default 300 s):
   - write a copy of the working file, for DuckDB 1.1+ clients (compat.STORAGE_VERSION), to a
     staging file unique to this process beside the published file (PUBLISHED_DUCKDB_PATH,
     default warehouse.duckdb), mode 0444, fsynced;
   - write one file per principal of the entitlements seed (principals.py), also staged;
   - refuse if a live process has the published file open read-write (it names the PID), and
     move a stale `<published>.wal` (left by a read-write connection that died) aside to
     `<published>.wal.stale-<time>`, so DuckDB cannot apply it to the new file;
   - rename each staged file over its published name: one atomic step each. Readers see the old
     or the new file whole; a connection keeps reading the file it opened.
   Staging files are removed on every failure path; ones left by a publisher killed with -9 are
   removed by the next publisher (it holds the lock, so nobody else is staging). Any OSError on
   the rename (immutable file, permissions, disk full) is one line naming the file, exit 1.

Both paths must have the same file name in different directories: DuckDB names a file's catalog
after it, and the views dbt creates name their tables' catalog.

Snowflake (DBT_TARGET=snowflake). The target database is the audit database; analysts read
SNOWFLAKE_PUBLISHED_DATABASE. The audit database is first replaced by a zero-copy clone of the
published one, then built and tested, then swapped with it (macros/publish/snowflake_publish.sql).
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import glob
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from customer_analytics.compat import OLDEST_CLIENT, STORAGE_VERSION
from customer_analytics.duckdb_files import scratch_connection, sql_name, sql_string
from customer_analytics.locks import (
    FileLock,
    LockBusy,
    describe_process,
    duckdb_lock_holder,
    lock_path,
)
from customer_analytics.principals import write_principal_files

DEFAULT_WORKING_PATH = "build/warehouse.duckdb"
DEFAULT_PUBLISHED_PATH = "warehouse.duckdb"
DEFAULT_LOCK_TIMEOUT_S = 300.0
PUBLISHED_MODE = 0o444
PRINCIPAL_MODE = 0o440
EXIT_FAILED = 1
EXIT_BUSY = 75  # sysexits EX_TEMPFAIL: someone else is building or publishing; try again later
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
PR_SET_PDEATHSIG = 1


class PublishError(Exception):
    """A publish that could not complete; the message is one line, the exit code says why."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED):
        super().__init__(message)
        self.exit_code = exit_code


class Interrupted(BaseException):
    """SIGTERM, SIGINT or SIGHUP reached the publisher (raised once; later ones are ignored)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def stop_signals_raise() -> Iterator[None]:
    """Turn the first stop signal into Interrupted, so `finally` blocks stop dbt and clean up."""

    def handler(signum, _frame):
        for stop in STOP_SIGNALS:
            signal.signal(stop, signal.SIG_IGN)  # cleanup must not be interrupted in turn
        raise Interrupted(signum)

    previous = {stop: signal.signal(stop, handler) for stop in STOP_SIGNALS}
    try:
        yield
    finally:
        for stop, action in previous.items():
            signal.signal(stop, action)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold stop signals while the staged files are renamed into place: once the first rename
    has happened the publish completes, and a stop signal that came meanwhile is dropped."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        pending = signal.sigpending() & set(STOP_SIGNALS)
        dropped = {}
        if pending and sys.platform == "linux":
            # Setting SIG_IGN discards a pending signal; the previous handler comes back after.
            dropped = {stop: signal.signal(stop, signal.SIG_IGN) for stop in pending}
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        for stop, action in dropped.items():
            signal.signal(stop, action)


def die_with(parent_pid: int):
    """preexec_fn for a child that the kernel kills (SIGKILL) when its parent dies."""

    def set_parent_death_signal() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return set_parent_death_signal


def stop_child(child: subprocess.Popen, grace_s: float = 10.0) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def run_dbt(args: list[str], env: dict[str, str]) -> int:
    """Run dbt as a child that cannot outlive the publisher."""
    dbt = Path(sys.executable).with_name("dbt")
    preexec = die_with(os.getpid()) if sys.platform == "linux" else None
    child = subprocess.Popen([str(dbt), *args], env=env, preexec_fn=preexec)
    try:
        return child.wait()
    except BaseException:
        stop_child(child)
        raise


def require_publishable_pair(working: Path, published: Path) -> None:
    if working.name != published.name or working.resolve() == published.resolve():
        raise ValueError(
            f"the working file ({working}) and the published file ({published}) need the same"
            " file name in different directories: views name their catalog after the file"
        )


def staging_path(target: Path) -> Path:
    """A name beside `target` that only this publish uses."""
    return target.with_name(f"{target.name}.publishing-{os.getpid()}-{secrets.token_hex(4)}")


def remove_files(paths: list[Path]) -> None:
    for path in paths:
        for leftover in (path, path.with_name(path.name + ".wal")):
            leftover.unlink(missing_ok=True)


def remove_stale_staging(directory: Path, pattern: str) -> None:
    """Staging files of publishers that died (only the lock holder stages, and that is us)."""
    stale = sorted(directory.glob(pattern)) if directory.is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
        print(f"publish: removed {path}, left by a publisher that died", file=sys.stderr)


def write_for_old_clients(source: Path, target: Path, catalog: str) -> None:
    """Copy every schema, table, view and comment of `source` into the new file `target`, in the
    storage format of DuckDB 1.1 (`catalog` is the name the views use for their database)."""
    with scratch_connection() as connection:
        connection.execute(f"attach {sql_string(source)} as publish_source (read_only)")
        connection.execute(
            f"attach {sql_string(target)} as {sql_name(catalog)}"
            f" (storage_version {sql_string(STORAGE_VERSION)})"
        )
        connection.execute(f"copy from database publish_source to {sql_name(catalog)}")
        connection.execute(f"detach {sql_name(catalog)}")


def seal(path: Path, mode: int, like: Path | None = None) -> None:
    """Final mode, the group of the file it replaces (an operator's chgrp survives), on disk."""
    if like is not None and like.exists():
        with contextlib.suppress(OSError):  # not a member of that group: keep ours
            os.chown(path, -1, like.stat().st_gid)
    os.chmod(path, mode)
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def refuse_live_writer(target: Path) -> None:
    pid = duckdb_lock_holder(target, writers_only=True)
    if pid is not None:
        raise PublishError(
            f"cannot publish: {target} is open read-write in {describe_process(pid)}, which would"
            " write its log into the new file; close that connection (readers open it with"
            " read_only=True) and publish again",
            EXIT_BUSY,
        )


def set_aside_stale_wal(target: Path) -> None:
    wal = target.with_name(target.name + ".wal")
    if wal.exists():
        stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
        aside = wal.with_name(f"{wal.name}.stale-{stamp}")
        os.replace(wal, aside)
        print(
            f"publish: warning: moved {wal} aside to {aside}: a read-write connection to {target}"
            " ended without closing, and DuckDB would replay its log into the new file",
            file=sys.stderr,
        )


def replace(staged: Path, target: Path) -> None:
    try:
        os.replace(staged, target)
    except OSError as error:
        raise PublishError(
            f"could not replace {target}: {error.strerror or error} (errno {error.errno});"
            f" {target} still holds what it held before"
        ) from None


def publish_file(
    working: Path,
    published: Path,
    *,
    principals_dir: Path | None = None,
    lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
) -> dict[str, Path]:
    """Publish the audited `working` file as `published`, and the principals' files.

    Returns {principal: published file}. Raises LockBusy, PublishError or duckdb.Error; in every
    case the staging files are gone and the published files are the old ones or the new ones.
    """
    require_publishable_pair(working, published)
    published.parent.mkdir(parents=True, exist_ok=True)
    principals_dir = principals_dir or published.parent / "principals"
    lock = FileLock(lock_path(published), f"cannot publish {published}")
    with lock.acquire(lock_timeout_s):
        remove_stale_staging(published.parent, glob.escape(published.name) + ".publishing*")
        remove_stale_staging(principals_dir, "*.duckdb.publishing*")
        staged: list[Path] = []

        def stage(target: Path) -> Path:
            staged.append(staging_path(target))
            return staged[-1]

        try:
            main = stage(published)
            write_for_old_clients(working, main, published.stem)
            seal(main, PUBLISHED_MODE)

            def stage_principal(principal: str) -> Path:
                principals_dir.mkdir(parents=True, exist_ok=True)
                return stage(principals_dir / f"{principal}.duckdb")

            written = write_principal_files(main, published.stem, stage_principal)
            targets = {published: main}
            for principal, path in written.items():
                target = principals_dir / f"{principal}.duckdb"
                seal(path, PRINCIPAL_MODE, like=target)
                targets[target] = path
            for target in targets:
                refuse_live_writer(target)
            with signals_held():
                for target in targets:
                    set_aside_stale_wal(target)
                for target, path in targets.items():
                    replace(path, target)
                fsync_directory(published.parent)
                if principals_dir.is_dir():
                    remove_former_principals(principals_dir, set(written))
                    fsync_directory(principals_dir)
        finally:
            remove_files(staged)
    return {principal: principals_dir / f"{principal}.duckdb" for principal in written}


def remove_former_principals(principals_dir: Path, current: set[str]) -> None:
    """A principal no longer in the entitlements loses its file."""
    for path in sorted(principals_dir.glob("*.duckdb")):
        if path.stem not in current:
            remove_files([path])
            print(f"publish: removed {path}: {path.stem} has no entitlements now", file=sys.stderr)


def build_failed(returncode: int, kept: str) -> int:
    print(
        f"publish: dbt build failed (exit {returncode}); {kept} still holds the last published"
        " warehouse.",
        file=sys.stderr,
    )
    return returncode


def history_relations(target_path: Path) -> list[str]:
    """schema.table of every model tagged history, from the manifest the build just wrote."""
    manifest = target_path / "manifest.json"
    if not manifest.exists():
        return []
    nodes = json.loads(manifest.read_text())["nodes"].values()
    return sorted(
        f"{node['schema']}.{node['alias']}"
        for node in nodes
        if node["resource_type"] == "model" and "history" in node["tags"]
    )


def reset_history(working: Path, published: Path, relations: list[str]) -> None:
    """Give the working file the published file's history tables (none if nothing is published),
    so what a failed build recorded is never carried into a later publish."""
    if not relations or not working.exists():
        return
    with duckdb.connect(str(working)) as connection:
        found = set()
        if published.exists():
            connection.execute(f"attach {sql_string(published)} as published_copy (read_only)")
            found = {
                f"{schema}.{table}"
                for schema, table in connection.execute(
                    "select schema_name, table_name from duckdb_tables()"
                    " where database_name = 'published_copy'"
                ).fetchall()
            }
        for relation in relations:
            if relation in found:
                connection.execute(
                    f"create or replace table {relation} as select * from published_copy.{relation}"
                )
            else:
                connection.execute(f"drop table if exists {relation}")
    print(
        f"publish: history in {working} ({', '.join(relations)}) reset to the published one.",
        file=sys.stderr,
    )


def publish_duckdb(dbt_args: list[str], env: dict[str, str]) -> int:
    working = Path(env.get("DUCKDB_PATH", DEFAULT_WORKING_PATH))
    published = Path(env.get("PUBLISHED_DUCKDB_PATH", DEFAULT_PUBLISHED_PATH))
    principals_dir = Path(env["PRINCIPALS_DIR"]) if env.get("PRINCIPALS_DIR") else None
    timeout_s = float(env.get("PUBLISH_LOCK_TIMEOUT_S", DEFAULT_LOCK_TIMEOUT_S))
    require_publishable_pair(working, published)
    working.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(lock_path(working), f"cannot build {working}").acquire():
        holder = duckdb_lock_holder(working, writers_only=False)
        if holder is not None:
            raise LockBusy(f"cannot build {working}: it is open in {describe_process(holder)}")
        returncode = run_dbt(["build", *dbt_args], {**env, "DUCKDB_PATH": str(working)})
        if returncode != 0:
            target_path = Path(env.get("DBT_TARGET_PATH", "target"))
            reset_history(working, published, history_relations(target_path))
            return build_failed(returncode, str(published))
        started = time.monotonic()
        principals = publish_file(
            working, published, principals_dir=principals_dir, lock_timeout_s=timeout_s
        )
    print(
        f"publish: {working} passed every test and is now published as {published}, readable"
        f" by DuckDB {OLDEST_CLIENT} and later, with {len(principals)} principal files"
        f" ({', '.join(str(path) for path in principals.values()) or 'none'}) in"
        f" {time.monotonic() - started:.1f} s."
    )
    return 0


def publish_snowflake(dbt_args: list[str], env: dict[str, str]) -> int:
    published = env.get("SNOWFLAKE_PUBLISHED_DATABASE", "")
    if not published:
        raise ValueError("set SNOWFLAKE_PUBLISHED_DATABASE to the database analysts read")
    returncode = run_dbt(["run-operation", "clone_published_for_audit"], env)
    if returncode != 0:
        return returncode
    returncode = run_dbt(["build", *dbt_args], env)
    if returncode != 0:
        return build_failed(returncode, published)
    return run_dbt(["run-operation", "publish_audited_database"], env)


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def main(argv: list[str] | None = None) -> int:
    dbt_args = sys.argv[1:] if argv is None else argv
    env = dict(os.environ)
    try:
        with stop_signals_raise():
            if env.get("DBT_TARGET", "duckdb") == "snowflake":
                return publish_snowflake(dbt_args, env)
            return publish_duckdb(dbt_args, env)
    except LockBusy as error:
        print(f"publish: {one_line(error)}", file=sys.stderr)
        return EXIT_BUSY
    except PublishError as error:
        print(f"publish: {one_line(error)}", file=sys.stderr)
        return error.exit_code
    except (ValueError, OSError, duckdb.Error) as error:
        print(f"publish: {type(error).__name__}: {one_line(error)}", file=sys.stderr)
        return EXIT_FAILED
    except Interrupted as stop:
        print(
            f"publish: stopped by {stop}; dbt is stopped, no staging file is left, and the"
            " published files hold the last publish that completed",
            file=sys.stderr,
        )
        return 128 + stop.signum


if __name__ == "__main__":
    sys.exit(main())
