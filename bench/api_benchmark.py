"""API benchmark: latency and throughput of profile lookups and fuzzy search over a published
warehouse (scale L for the targets), with 32 concurrent HTTP clients on loopback, and a publish
while it runs.

    python bench/api_benchmark.py --warehouse /tmp/api/L/pub/warehouse.duckdb \
        --working /tmp/api/L/build/warehouse.duckdb

Starts `python -m customer_analytics.api` on a free 127.0.0.1 port over WAREHOUSE (a key file
of its own in a temp dir), waits for the first snapshot of each principal, then runs, each
phase bounded by --seconds and --max-requests:

1. profile lookups, closed loop: 32 clients each sending its next request when the last
   answered (throughput; latency is then 32 / throughput by construction);
2. search, closed loop;
3. profile lookups at an offered load (--rate, default 500/s, spread over the 32 clients on a
   fixed schedule; latency counted from the scheduled send time, so a late server is not
   hidden by a client that waited);
4. search at --search-rate (default 100/s);
5. a publish of WORKING over WAREHOUSE (publish_file, as `make build` does) while clients send
   profile lookups and searches at --publish-rate, until the server answers from the new
   publish: every error is counted.

Requests: profile lookups of client keys drawn from v_client_360 (CRM_ANALYST and LEAD_UK
keys alternating), searches of names (some with a dropped letter), emails and postcodes of
those clients; sent over keep-alive HTTP/1.1 connections by a minimal asyncio client (class
Connection), one per simulated client. Prints one table; --out writes the numbers as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import duckdb
import httpx
import uvloop

from customer_analytics.api.cli import server_process
from customer_analytics.api.keys import key_digest

PRINCIPALS = {"crm": ("CRM_ANALYST", "BENCH_APP"), "uk": ("SALES_LEADERSHIP", "LEAD_UK")}
TARGETS = {"profile_p95_ms": 20.0, "search_p95_ms": 50.0, "profile_per_s": 500.0}
START_TIMEOUT_S = 600
PUBLISH = (
    "import sys; from pathlib import Path; from customer_analytics.publish import publish_file;"
    " publish_file(Path(sys.argv[1]), Path(sys.argv[2]))"
)
CONNECTIONS = 32


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sample_requests(warehouse: Path, count: int, seed: int) -> tuple[list, list]:
    """(profile requests, search requests): (principal, path, params) tuples."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        connection.execute("set variable analytics_role = 'CRM_ANALYST'")
        rows = connection.execute(
            "select client_key, client_name, email, postcode, region from analytics.v_client_360"
            f" using sample reservoir({int(count)} rows) repeatable ({int(seed)})"
        ).fetchall()
    rng = random.Random(seed)
    profiles = [
        ("uk" if region == "UK & Ireland" and index % 2 else "crm", f"/clients/{key}")
        for index, (key, _, _, _, region) in enumerate(rows)
    ]
    searches = []
    for key, name, email, postcode, _ in rows:
        choice = rng.random()
        if choice < 0.4 and name:
            query = name
        elif choice < 0.6 and name and len(name) > 4:
            cut = rng.randrange(1, len(name) - 1)
            query = name[:cut] + name[cut + 1 :]  # a typo: one letter missing
        elif choice < 0.8 and email:
            query = email
        else:
            query = postcode or name or key
        searches.append(("crm", "/clients/search?" + urlencode({"q": query, "page_size": 10})))
    return profiles, searches


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Connection:
    """One keep-alive HTTP/1.1 connection: a minimal client for GET requests. httpx spends
    3-5 ms of CPU per request here, more than the server does, and the load generator shares
    the machine's two cores with the server."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, target: str, key: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(
            f"GET {target} HTTP/1.1\r\nHost: {self.host}\r\nX-API-Key: {key}\r\n\r\n".encode()
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summary(latencies_s: list[float], errors: int, seconds: float) -> dict:
    done = len(latencies_s)
    return {
        "requests": done,
        "errors": errors,
        "seconds": round(seconds, 2),
        "per_s": round(done / seconds, 1) if seconds else None,
        "p50_ms": round(1000 * statistics.median(latencies_s), 2) if done else None,
        "p95_ms": round(1000 * percentile(latencies_s, 0.95), 2) if done else None,
        "p99_ms": round(1000 * percentile(latencies_s, 0.99), 2) if done else None,
    }


async def run_phase(
    url: str,
    keys: dict,
    requests: list,
    seconds: float,
    max_requests: int,
    rate: float | None = None,
    until=None,
    server_pid: int | None = None,
) -> dict:
    """CONNECTIONS clients over `requests` (cycled): closed loop, or at `rate` per second in
    total. Stops at `seconds`, `max_requests`, or when `until()` holds. With server_pid, also
    the CPU the server and this load generator spent per request: on a shared 2-core machine
    that says what a request costs whatever else ran."""
    server_cpu = cpu_seconds(server_pid) if server_pid else None
    client_cpu = time.process_time()
    latencies: list[float] = []
    failures: list[str] = []
    sent = 0
    started = time.perf_counter()
    deadline = started + seconds

    def next_request():
        nonlocal sent
        if sent >= max_requests or time.perf_counter() >= deadline or (until and until()):
            return None
        sent += 1
        return requests[sent % len(requests)]

    host, port = url.removeprefix("http://").split(":")

    async def one_client(number: int):
        interval = CONNECTIONS / rate if rate else 0.0
        scheduled = started + number * interval / CONNECTIONS
        connection = Connection(host, int(port))
        try:
            while (request := next_request()) is not None:
                if rate:
                    await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
                begin = scheduled if rate else time.perf_counter()
                who, target = request
                try:
                    status, body = await asyncio.wait_for(connection.get(target, keys[who]), 30)
                    if status != 200:
                        failures.append(f"{status} {body[:200]!r}")
                    else:
                        latencies.append(time.perf_counter() - begin)
                except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as error:
                    failures.append(f"{type(error).__name__}: {error}")
                    connection.close()
                    connection = Connection(host, int(port))
                scheduled += interval
        finally:
            connection.close()

    await asyncio.gather(*(one_client(number) for number in range(CONNECTIONS)))
    result = summary(latencies, len(failures), time.perf_counter() - started)
    answered = max(len(latencies) + len(failures), 1)
    if server_pid:
        used = cpu_seconds(server_pid) - server_cpu
        result["server_cpu_ms_per_request"] = round(1000 * used / answered, 3)
    result["client_cpu_ms_per_request"] = round(
        1000 * (time.process_time() - client_cpu) / answered, 3
    )
    result["first_errors"] = failures[:5]
    return result


def wait_for_snapshots(url: str, keys: dict, process: subprocess.Popen, log: Path) -> float:
    """Seconds until every principal's first snapshot answered."""
    began = time.monotonic()
    for key in keys.values():
        while True:
            if process.poll() is not None or time.monotonic() - began > START_TIMEOUT_S:
                raise SystemExit(f"the server did not come up:\n{log.read_text()[-3000:]}")
            try:
                response = httpx.get(
                    url + "/health", headers={"X-API-Key": key}, timeout=START_TIMEOUT_S
                )
                if response.status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
    return round(time.monotonic() - began, 1)


def server_rss_mb(process: subprocess.Popen) -> int | None:
    try:
        status = Path(f"/proc/{process.pid}/status").read_text()
    except OSError:
        return None
    rss = next(line for line in status.splitlines() if line.startswith("VmRSS"))
    return int(rss.split()[1]) // 1024


def published_at(url: str, key: str) -> str:
    return httpx.get(url + "/health", headers={"X-API-Key": key}, timeout=60).json()["published_at"]


def publish_phase(url: str, keys: dict, requests: list, args, server_pid: int) -> dict:
    """Clients at --publish-rate while WORKING is published over WAREHOUSE, until every
    principal is answered from the new publish."""
    before = {who: published_at(url, key) for who, key in keys.items()}
    publish: dict = {}

    def publish_in_background():
        # A process of its own, as `make build` is: in this one it would take turns with the
        # load generator for the GIL.
        began = time.monotonic()
        run = subprocess.run(
            [sys.executable, "-c", PUBLISH, str(args.working), str(args.warehouse)],
            capture_output=True,
            text=True,
            check=False,
        )
        publish["seconds"] = round(time.monotonic() - began, 1)
        if run.returncode:
            publish["error"] = run.stderr[-2000:]

    publisher = threading.Thread(target=publish_in_background)
    switched: dict[str, float] = {}
    done = threading.Event()
    began = time.monotonic()

    def watch():
        """In a thread of its own, so that a slow answer never stalls the load generator."""
        publisher.join()
        while len(switched) < len(keys) and time.monotonic() - began < args.publish_seconds:
            for who, key in keys.items():
                if who not in switched and published_at(url, key) != before[who]:
                    switched[who] = round(time.monotonic() - began, 1)
            time.sleep(1.0)
        done.set()

    watcher = threading.Thread(target=watch)
    publisher.start()
    watcher.start()
    bound = (args.publish_seconds, int(args.publish_seconds * args.publish_rate))
    result = uvloop.run(
        run_phase(url, keys, requests, *bound, args.publish_rate, done.is_set, server_pid)
    )
    watcher.join()
    publisher.join()
    result["publish"] = publish
    result["switched_after_s"] = switched
    return result


def table(report: dict) -> str:
    lines = [
        "| phase | requests | errors | per s | p50 ms | p95 ms | p99 ms "
        "| server CPU ms/req | client CPU ms/req |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, phase in report["phases"].items():
        lines.append(
            f"| {name} | {phase['requests']} | {phase['errors']} | {phase['per_s']} "
            f"| {phase['p50_ms']} | {phase['p95_ms']} | {phase['p99_ms']} "
            f"| {phase.get('server_cpu_ms_per_request')} | {phase['client_cpu_ms_per_request']} |"
        )
    return "\n".join(lines)


def verdicts(phases: dict) -> dict:
    """Each target against the phase it is judged on, closed loop and at the offered load."""
    judged = {}
    for loop in ("closed", "offered"):
        profile, search = phases.get(f"profile_{loop}"), phases.get(f"search_{loop}")
        if profile:
            judged[f"profile p95 <= 20 ms ({loop})"] = (
                profile["p95_ms"] <= TARGETS["profile_p95_ms"]
            )
        if search:
            judged[f"search p95 <= 50 ms ({loop})"] = search["p95_ms"] <= TARGETS["search_p95_ms"]
    if "profile_closed" in phases:
        judged[">= 500 profile lookups/s (closed)"] = (
            phases["profile_closed"]["per_s"] >= TARGETS["profile_per_s"]
        )
    if "during_publish" in phases:
        judged["no error during a concurrent publish"] = (
            phases["during_publish"]["errors"] == 0
            and "error" not in phases["during_publish"]["publish"]
        )
    return judged


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="published DuckDB file")
    parser.add_argument(
        "--working", type=Path, help="a built working file to publish during the run"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="bound of each phase")
    parser.add_argument("--max-requests", type=int, default=30_000, help="bound of each phase")
    parser.add_argument("--rate", type=float, default=500.0, help="offered profile lookups/s")
    parser.add_argument("--search-rate", type=float, default=100.0, help="offered searches/s")
    parser.add_argument("--publish-rate", type=float, default=100.0, help="during the publish")
    parser.add_argument("--publish-seconds", type=float, default=900.0)
    parser.add_argument("--sample", type=int, default=5000, help="clients requests are drawn from")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, help="write the report as JSON here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    profiles, searches = sample_requests(args.warehouse, args.sample, args.seed)
    with tempfile.TemporaryDirectory(prefix="api-bench-") as scratch:
        keys = {who: f"bench-{who}-{os.urandom(12).hex()}" for who in PRINCIPALS}
        key_file = Path(scratch) / "keys.json"
        key_file.write_text(
            json.dumps(
                {
                    key_digest(keys[who]): {"role": role, "user": user}
                    for who, (role, user) in PRINCIPALS.items()
                }
            )
        )
        port, log = free_port(), Path(scratch) / "server.log"
        url = f"http://127.0.0.1:{port}"
        with server_process(args.warehouse, key_file, port, log) as process:
            report: dict = {"warehouse": str(args.warehouse), "clients": CONNECTIONS}
            report["first_snapshots_s"] = wait_for_snapshots(url, keys, process, log)
            bound = (args.seconds, args.max_requests)
            pid = {"server_pid": process.pid}
            phases = {
                "profile_closed": uvloop.run(run_phase(url, keys, profiles, *bound, **pid)),
                "search_closed": uvloop.run(run_phase(url, keys, searches, *bound, **pid)),
                "profile_offered": uvloop.run(
                    run_phase(url, keys, profiles, *bound, rate=args.rate, **pid)
                ),
                "search_offered": uvloop.run(
                    run_phase(url, keys, searches, *bound, rate=args.search_rate, **pid)
                ),
            }
            report["server_rss_mb"] = server_rss_mb(process)
            if args.working:
                mixed = [
                    request for pair in zip(profiles, searches, strict=True) for request in pair
                ]
                phases["during_publish"] = publish_phase(url, keys, mixed, args, process.pid)
                report["server_rss_mb_after_publish"] = server_rss_mb(process)
            report["phases"] = phases
            report["targets_met"] = verdicts(phases)
        tracebacks = log.read_text().count("Traceback")
    report["server_tracebacks"] = tracebacks
    print(table(report))
    print(json.dumps({k: v for k, v in report.items() if k != "phases"}, indent=2))
    if "during_publish" in report["phases"]:
        during = report["phases"]["during_publish"]
        print("publish:", during["publish"], "switched after (s):", during["switched_after_s"])
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
