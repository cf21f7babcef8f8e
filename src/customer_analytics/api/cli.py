"""`ca-serve`: the API on uvicorn, over the published DuckDB file or the published Snowflake
database (docs/api.md)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from customer_analytics.api.app import create_app
from customer_analytics.api.keys import KEYS_ENV, KeyFileError, load_key_store
from customer_analytics.api.snapshot import PROFILE_CACHE


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ca-serve", description=__doc__)
    parser.add_argument(
        "--backend",
        choices=["duckdb", "snowflake"],
        default=os.environ.get("CA_API_BACKEND", "duckdb"),
        help="duckdb: the published file; snowflake: the published database (env CA_API_BACKEND)",
    )
    parser.add_argument(
        "--warehouse",
        type=Path,
        default=Path(os.environ.get("PUBLISHED_DUCKDB_PATH", "warehouse.duckdb")),
        help="the published DuckDB file (env PUBLISHED_DUCKDB_PATH; default warehouse.duckdb)",
    )
    parser.add_argument(
        "--keys",
        type=Path,
        default=os.environ.get(KEYS_ENV),
        help=f"the API key file (env {KEYS_ENV}); required",
    )
    parser.add_argument("--host", default=os.environ.get("CA_API_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CA_API_PORT", "8000")))
    parser.add_argument(
        "--profile-cache",
        type=int,
        default=int(os.environ.get("CA_API_PROFILE_CACHE", PROFILE_CACHE)),
        help="profiles kept as JSON per principal and publish, ~4.4 kB each at scale L; 0: none"
        f" (env CA_API_PROFILE_CACHE; default {PROFILE_CACHE:,}; DuckDB backend)",
    )
    parser.add_argument(
        "--no-access-log", action="store_true", help="no line per request (benchmarks)"
    )
    return parser.parse_args(argv)


@contextmanager
def server_process(warehouse: Path, keys: Path, port: int, log: Path) -> Iterator[subprocess.Popen]:
    """A server over `warehouse` on 127.0.0.1:`port` in a child process, without access log,
    its output in `log`; stopped on leaving (SIGTERM, SIGKILL after 10 s). How the tests and
    the benchmark run one."""
    command = [sys.executable, "-m", "customer_analytics.api", "--warehouse", str(warehouse),
               "--keys", str(keys), "--port", str(port), "--no-access-log"]  # fmt: skip
    with log.open("w") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.keys is None:
        print(f"ca-serve: no key file: set {KEYS_ENV} or pass --keys", file=sys.stderr)
        return 2
    try:
        keys = load_key_store(args.keys)
    except KeyFileError as error:
        print(f"ca-serve: {error}", file=sys.stderr)
        return 2
    if args.backend == "snowflake":
        from customer_analytics.api.snowflake_reader import PublishedSnowflake, settings_from_env

        reader = PublishedSnowflake(settings_from_env(os.environ))
    else:
        from customer_analytics.api.duckdb_reader import PublishedDuckDB

        reader = PublishedDuckDB(args.warehouse, args.profile_cache)
    uvicorn.run(
        create_app(reader, keys),
        host=args.host,
        port=args.port,
        access_log=not args.no_access_log,
        log_level="info",
    )
    return 0
