"""The published DuckDB warehouse as the API reads it: read-only, one principal per session,
switched to a new publish without failing a request.

`publish_file` replaces `warehouse.duckdb` with os.replace, so a new publish is a new inode
under the same name. Every request stats the path (a few microseconds): no file is a 503; a
file other than the one a principal's snapshot came from starts a new snapshot in a worker
thread while requests keep being answered from the previous one, which is whole and consistent
(it is in memory, read from the old file). The first request of a principal waits for its
snapshot.

Each snapshot is read through its own in-memory DuckDB instance that ATTACHes the published
file READ_ONLY under its catalog name (the file's stem, which the views' SQL names) and sets
that principal's analytics_role / analytics_user: no session, and so no variable, is shared
between principals, and DuckDB's cache of open database files cannot hand a new connection the
file a previous one opened.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from customer_analytics.api.errors import ApiError, Forbidden, Unavailable, refusal_in
from customer_analytics.api.keys import Principal
from customer_analytics.api.queries import SNAPSHOT
from customer_analytics.api.snapshot import PROFILE_CACHE, Snapshot, plain_numbers
from customer_analytics.duckdb_files import scratch_connection, sql_name, sql_string

# A file that could not be read is tried again after this long, not on every request.
RETRY_AFTER_S = 1.0
OPEN_ATTEMPTS = 5


@dataclass(frozen=True)
class FileState:
    token: tuple
    published_at: dt.datetime


def file_state(path: Path) -> FileState:
    """The published file's identity; Unavailable when there is none."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        raise Unavailable(
            "no published warehouse yet: publish one with `python -m customer_analytics.publish`"
        ) from None
    except OSError as error:
        raise Unavailable(f"the published warehouse cannot be read: {error.strerror}") from None
    token = (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)
    return FileState(token, dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC))


def read_snapshot(path: Path, principal: Principal, profile_cache: int = PROFILE_CACHE) -> Snapshot:
    """Every row `principal` sees through the views, from the file now at `path` (with room
    for `profile_cache` profiles' JSON bodies)."""
    for _ in range(OPEN_ATTEMPTS):
        before = file_state(path)
        connection = scratch_connection()
        connection.execute("set threads = 1")  # see PublishedDuckDB: requests keep a core
        try:
            catalog = sql_name(path.stem)
            connection.execute(f"attach {sql_string(path)} as {catalog} (read_only)")
            # Replaced between the stat and the attach: which file was opened is unknown.
            if file_state(path).token != before.token:
                continue
            connection.execute(f"use {catalog}")
            connection.execute("set variable analytics_role = ?", [principal.role])
            connection.execute("set variable analytics_user = ?", [principal.user])
            tables = {name: connection.sql(sql).to_arrow_table() for name, sql in SNAPSHOT.items()}
        except duckdb.Error as error:
            raise warehouse_error(error) from None
        finally:
            connection.close()
        return Snapshot(
            token=before.token,
            published_at=before.published_at,
            profiles=tables["profiles"],
            recommendations=tables["recommendations"],
            products=tables["products"],
            at_risk_table=tables["at_risk"],
            segment_rows=plain_numbers(tables["segments"]).to_pylist(),
            monthly_rows=plain_numbers(tables["monthly"]).to_pylist(),
            profile_cache=profile_cache,
        )
    raise Unavailable("the published warehouse is being replaced; retry")


def warehouse_error(error: duckdb.Error) -> ApiError:
    message = str(error)
    refusal = refusal_in(message)
    if refusal:
        return Forbidden(f"the analytics views refuse this key's principal: {refusal}")
    first_line = message.splitlines()[0] if message else type(error).__name__
    return Unavailable(f"the published warehouse could not be read: {first_line}")


class _Entry:
    """A principal's latest snapshot, the build in progress, and the last failure."""

    def __init__(self):
        self.snapshot: Snapshot | None = None
        self.building: tuple[tuple, Future] | None = None
        self.failure: tuple[tuple, ApiError, float] | None = None


class PublishedDuckDB:
    """The reader the app uses over a published DuckDB file."""

    backend = "duckdb"

    def __init__(self, path: Path, profile_cache: int = PROFILE_CACHE):
        self.path = Path(path)
        self.profile_cache = profile_cache
        self._entries: dict[Principal, _Entry] = {}
        self._lock = threading.Lock()
        # Snapshots are built one at a time, on one DuckDB thread: on two cores the other one
        # keeps answering requests while a publish loads.
        self._builds = ThreadPoolExecutor(1, thread_name_prefix="snapshot")

    async def published(self) -> FileState:
        return file_state(self.path)

    async def view(self, principal: Principal) -> Snapshot:
        state = file_state(self.path)
        with self._lock:
            entry = self._entries.setdefault(principal, _Entry())
            current = entry.snapshot
            if current is not None and current.token == state.token:
                return current
            failure = entry.failure
            if failure and failure[0] == state.token and not retry_due(failure):
                raise failure[1]
            if entry.building is None or entry.building[0] != state.token:
                future = self._builds.submit(self._build, entry, principal, state.token)
                entry.building = (state.token, future)
            future = entry.building[1]
        # Answer from the previous publish while the new one loads (a failed build drops it).
        if current is not None:
            return current
        return await asyncio.wrap_future(future)

    def _build(self, entry: _Entry, principal: Principal, token: tuple) -> Snapshot:
        try:
            snapshot = read_snapshot(self.path, principal, self.profile_cache)
        except ApiError as error:
            with self._lock:
                entry.snapshot, entry.failure = None, (token, error, time.monotonic())
            raise
        else:
            with self._lock:
                entry.snapshot, entry.failure = snapshot, None
            return snapshot
        finally:
            with self._lock:
                # A build for a newer publish may have been started meanwhile: keep its marker.
                if entry.building is not None and entry.building[0] == token:
                    entry.building = None

    def close(self) -> None:
        self._builds.shutdown(wait=False, cancel_futures=True)


def retry_due(failure: tuple[tuple, ApiError, float]) -> bool:
    _, error, when = failure
    # The views' refusal of a principal holds for as long as the file does.
    return not isinstance(error, Forbidden) and time.monotonic() - when >= RETRY_AFTER_S
