"""Locks that keep builds and publishes of the DuckDB warehouse from running into each other.

Two kinds, both released by the kernel when their process dies (kill -9 included), so no lock is
ever left behind:

- `FileLock`: an flock() on a `<file>.lock` beside a DuckDB file. The holder writes its PID,
  start time and command into the lock file, so whoever finds the lock taken can say who holds it
  and since when. The lock file itself is never deleted: deleting an flock()ed file would let a
  second process lock a new file of the same name while the first still holds the old one.
- `duckdb_lock_holder`: who holds DuckDB's own lock on a database file. DuckDB takes a POSIX
  record lock (fcntl F_SETLK) on the file it opens: a write lock when read-write, a read lock
  when read-only. F_GETLK asks the kernel which other process holds a conflicting one.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path

# struct flock on Linux (x86_64 and aarch64): short l_type, short l_whence, off_t l_start,
# off_t l_len, pid_t l_pid, padded to 32 bytes.
_FLOCK = "hhqqi4x"


class LockBusy(Exception):
    """A lock another process holds; the message is one line that names the holder."""


def describe_process(pid: int) -> str:
    """`PID 123 (python -m customer_analytics.publish)`, or just `PID 123` if /proc cannot say."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"PID {pid}"
    command = " ".join(raw.replace(b"\0", b" ").decode(errors="replace").split())
    return f"PID {pid} ({command[:120]})" if command else f"PID {pid}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class FileLock:
    """An exclusive flock() on `path`; acquire(timeout_s) waits up to timeout_s (0: not at all)."""

    path: Path
    purpose: str
    _fd: int | None = None

    def acquire(self, timeout_s: float = 0.0) -> FileLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = self.holder()
                    os.close(fd)
                    waited = f" after waiting {timeout_s:g} s" if timeout_s else ""
                    raise LockBusy(
                        f"{self.purpose}: locked by {holder}{waited} (lock file {self.path})"
                    ) from None
                time.sleep(0.1)
        started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {started}\n".encode(), 0)
        self._fd = fd
        return self

    def holder(self) -> str:
        """Who holds the lock and since when, from what the holder wrote into the lock file."""
        for _ in range(20):  # the holder writes its line right after taking the lock
            try:
                pid_text, since = self.path.read_text().split()[:2]
                return f"{describe_process(int(pid_text))} since {since}"
            except (OSError, ValueError):
                time.sleep(0.05)
        return "another process"

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    def __enter__(self) -> FileLock:
        return self if self._fd is not None else self.acquire()

    def __exit__(self, *exc_info) -> None:
        self.release()


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def duckdb_lock_holder(database: Path, *, writers_only: bool) -> int | None:
    """PID of another process holding DuckDB's lock on `database`, or None.

    writers_only: only a read-write connection counts (what a publish must not race: it would
    write a WAL for the file being replaced); otherwise read-only connections count too (what a
    build must not start under: DuckDB cannot open the file read-write while anyone has it open).
    Call it with no DuckDB connection of this process open on `database`: closing any descriptor
    of a file drops every POSIX lock the process holds on it.
    """
    try:
        fd = os.open(database, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        wanted = fcntl.F_RDLCK if writers_only else fcntl.F_WRLCK
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack(_FLOCK, wanted, os.SEEK_SET, 0, 0, 0))
    finally:
        os.close(fd)
    lock_type, _, _, _, pid = struct.unpack(_FLOCK, answer)
    return None if lock_type == fcntl.F_UNLCK else pid
