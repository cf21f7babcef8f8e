"""The published Snowflake database as the API reads it (unverified on a real account:
docs/api.md).

Each principal gets its own connections, logged in as the key's user with the key's role, so
Snowflake's grants, row access and masking policies decide what the API sees, as they do for
any analyst (CURRENT_USER() is the entitled principal the region policy looks up). Every
statement is one of queries.PER_REQUEST, with the request's values bound server-side
(paramstyle qmark). Fuzzy search needs the clients' names in memory: a corpus per principal,
read again when the published database is a new one (a publish swaps databases, so its CREATED
timestamp changes), checked at most every REFRESH_S seconds.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import anyio

from customer_analytics.api.errors import ApiError, Forbidden, Unavailable
from customer_analytics.api.keys import Principal
from customer_analytics.api.models import client_profile_json
from customer_analytics.api.queries import PER_REQUEST
from customer_analytics.api.search import SearchIndex

REFRESH_S = 60.0
POOL_SIZE = 4
# The published database's identity: a publish swaps the audit database in under this name.
PUBLISHED_VERSION = (
    "select created from information_schema.databases where database_name = upper(?)"
)
AS_OF_DATE = "select max(as_of_date) from analytics.v_segment_summary"
REQUIRED_ENV = ("SNOWFLAKE_ACCOUNT", "SNOWFLAKE_PUBLISHED_DATABASE", "SNOWFLAKE_PRIVATE_KEY_DIR")


@dataclass(frozen=True)
class SnowflakeSettings:
    account: str
    database: str
    warehouse: str
    private_key_dir: Path
    private_key_passphrase: str | None = None
    query_tag: str = "customer_analytics_api"


def settings_from_env(env: Mapping[str, str]) -> SnowflakeSettings:
    missing = [name for name in REQUIRED_ENV if not env.get(name)]
    if missing:
        raise SystemExit(f"ca-serve --backend snowflake: set {', '.join(missing)} (docs/api.md)")
    return SnowflakeSettings(
        account=env["SNOWFLAKE_ACCOUNT"],
        database=env["SNOWFLAKE_PUBLISHED_DATABASE"],
        warehouse=env.get("SNOWFLAKE_WAREHOUSE", "TRANSFORMING"),
        private_key_dir=Path(env["SNOWFLAKE_PRIVATE_KEY_DIR"]),
        private_key_passphrase=env.get("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE") or None,
        query_tag=env.get("SNOWFLAKE_QUERY_TAG", "customer_analytics_api"),
    )


def connect_arguments(settings: SnowflakeSettings, principal: Principal) -> dict:
    """snowflake.connector.connect's arguments for `principal`: its user, its role, the
    published database, server-side binding, and that user's key pair."""
    return {
        "account": settings.account,
        "user": principal.user,
        "role": principal.role,
        "database": settings.database,
        "schema": "analytics",
        "warehouse": settings.warehouse,
        "paramstyle": "qmark",
        "private_key_file": str(settings.private_key_dir / f"{principal.user}.p8"),
        "private_key_file_pwd": settings.private_key_passphrase,
        "session_parameters": {"QUERY_TAG": settings.query_tag},
        "client_session_keep_alive": False,
    }


def default_connect(**arguments):
    import snowflake.connector

    return snowflake.connector.connect(**arguments)


class Pool:
    """At most POOL_SIZE connections of one principal, reused between requests."""

    def __init__(self, open_connection: Callable[[], object]):
        self._open = open_connection
        self._idle: list = []
        self._slots = threading.BoundedSemaphore(POOL_SIZE)
        self._lock = threading.Lock()

    def rows(self, sql: str, params: tuple = ()) -> list[dict]:
        with self._slots:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            try:
                connection = connection or self._open()
                cursor = connection.cursor()
                try:
                    cursor.execute(sql, params)
                    names = [column[0].lower() for column in cursor.description]
                    found = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
                finally:
                    cursor.close()
            except Exception as error:
                if connection is not None:
                    connection.close()
                raise snowflake_error(error) from None
            with self._lock:
                self._idle.append(connection)
            return found

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


def snowflake_error(error: Exception) -> ApiError:
    """A grant missing for the role reads 'does not exist or not authorized': the caller's
    role may not read the views (403); anything else is the warehouse being unavailable."""
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    if "not authorized" in message or "Insufficient privileges" in message:
        return Forbidden(f"Snowflake refuses this key's role: {message}")
    return Unavailable(f"the published database could not be read: {message}")


class SnowflakeView:
    """One principal's reads, live; only the search corpus is kept between requests."""

    blocking = True  # every call is a network round trip: run it off the event loop

    def __init__(self, pool: Pool, published_at, as_of_date, corpus: list[dict], index):
        self._pool = pool
        self.published_at = published_at
        self.as_of_date = as_of_date
        self._corpus = corpus
        self._index = index

    def profile(self, client_key: str) -> dict | None:
        found = self._pool.rows(PER_REQUEST["profile"], (client_key,))
        if not found:
            return None
        row = found[0]
        row["recommendations"] = self._pool.rows(PER_REQUEST["recommendations"], (client_key,))
        row["products"] = self._pool.rows(PER_REQUEST["products"], (client_key,))
        return row

    def profile_json(self, client_key: str) -> bytes | None:
        found = self.profile(client_key)
        return None if found is None else client_profile_json(found)

    def search(self, query: str, offset: int, limit: int) -> tuple[int, list[dict]]:
        total, page = self._index.search(query, offset, limit)
        return total, [
            {**self._corpus[hit.row], "score": hit.score, "matched_on": hit.matched_on}
            for hit in page
        ]

    def at_risk(self, limit: int) -> list[dict]:
        return self._pool.rows(PER_REQUEST["at_risk"], (limit,))

    def top_value(self, limit: int) -> list[dict]:
        return self._pool.rows(PER_REQUEST["top_value"], (limit,))

    def segments(self) -> list[dict]:
        return self._pool.rows(PER_REQUEST["segments"])

    def monthly(self) -> list[dict]:
        return self._pool.rows(PER_REQUEST["monthly"])


@dataclass(frozen=True)
class PublishedState:
    published_at: dt.datetime | None


class PublishedSnowflake:
    """The reader the app uses over the published Snowflake database."""

    backend = "snowflake"

    def __init__(self, settings: SnowflakeSettings, connect: Callable = default_connect):
        self.settings = settings
        self._connect = connect
        self._pools: dict[Principal, Pool] = {}
        self._views: dict[Principal, tuple[float, SnowflakeView]] = {}
        self._lock = threading.Lock()

    async def published(self) -> PublishedState:
        # Without a principal there is no connection to ask: the time comes with a key.
        return PublishedState(published_at=None)

    def pool(self, principal: Principal) -> Pool:
        with self._lock:
            if principal not in self._pools:
                arguments = connect_arguments(self.settings, principal)
                self._pools[principal] = Pool(lambda: self._connect(**arguments))
            return self._pools[principal]

    async def view(self, principal: Principal) -> SnowflakeView:
        return await anyio.to_thread.run_sync(self.current_view, principal)

    def current_view(self, principal: Principal) -> SnowflakeView:
        with self._lock:
            checked = self._views.get(principal)
        if checked and time.monotonic() - checked[0] < REFRESH_S:
            return checked[1]
        pool = self.pool(principal)
        version = pool.rows(PUBLISHED_VERSION, (self.settings.database,))
        published_at = version[0]["created"] if version else None
        if checked and checked[1].published_at == published_at:
            view = checked[1]
        else:
            corpus = pool.rows(PER_REQUEST["search_corpus"])
            index = SearchIndex(
                [row["client_name"] for row in corpus],
                [row["email"] for row in corpus],
                [row["postcode"] for row in corpus],
            )
            as_of = pool.rows(AS_OF_DATE)
            as_of_date = next(iter(as_of[0].values())) if as_of else None
            view = SnowflakeView(pool, published_at, as_of_date, corpus, index)
        with self._lock:
            self._views[principal] = (time.monotonic(), view)
        return view

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()
