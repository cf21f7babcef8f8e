"""Reliability benchmark: adversarial deliveries, publishes, raw files and roles, replayed against a
fresh clone.

    python bench/reliability.py                    # every case (~15 min on 2 cores)
    python bench/reliability.py --only history publish
    python bench/reliability.py --repo . --rev HEAD --trials 20

Clones the repository at a revision (committed work only) into a temporary directory and runs
the clone's own code (PYTHONPATH=<clone>/src, dbt on the clone's project, this interpreter's
packages) through each case: ordinary deliveries (a client removed or re-keyed, a correction
that moves the as-of date back, a what-if build, a seed change), concurrent and interrupted
publishes, stale logs, old DuckDB clients, bad raw files, principals, exports. Prints one line
per check — PASS/FAIL, case, expected, observed — and writes bench/out/reliability.md. Not a
test: the checks re-run what the tests prove, end to end, on a clean checkout, so they can be
re-run after every change.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REPORT = PROJECT_ROOT / "bench" / "out" / "reliability.md"
DBT_TIMEOUT_S = 900


@dataclass
class Check:
    case: str
    expected: str
    observed: str
    ok: bool

    def line(self) -> str:
        return (
            f"{'PASS' if self.ok else 'FAIL'}  {self.case}  | expected: {self.expected}"
            f"  | observed: {self.observed}"
        )


@dataclass
class Run:
    returncode: int
    output: str

    def last_lines(self, count: int = 1) -> str:
        lines = [line for line in self.output.strip().splitlines() if line.strip()]
        return " / ".join(lines[-count:])


class Clone:
    """A fresh clone of the repository and the environment to run its code."""

    def __init__(self, repo: Path, rev: str, work: Path):
        self.root = work / "clone"
        subprocess.run(
            ["git", "clone", "--quiet", "--no-local", str(repo), str(self.root)], check=True
        )
        subprocess.run(["git", "-C", str(self.root), "checkout", "--quiet", rev], check=True)
        self.work = work
        self.sample = self.root / "data" / "raw"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(self.root / "src"),
            "PYTHONWARNINGS": "ignore",
            "DBT_PROFILES_DIR": str(self.root),
            "DBT_TARGET": "duckdb",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_USE_COLORS": "false",
        }

    def run(self, command: list[str], env: dict | None = None, timeout=DBT_TIMEOUT_S) -> Run:
        done = subprocess.run(
            command, cwd=self.root, env={**self.env, **(env or {})}, capture_output=True,
            text=True, timeout=timeout, check=False,
        )  # fmt: skip
        return Run(done.returncode, done.stdout + done.stderr)

    def dbt(self, args: list[str], warehouse: Path, raw: Path | None = None, vars_="") -> Run:
        raw_var = f"raw_data_dir: '{str(raw or self.sample).replace(chr(39), chr(39) * 2)}'"
        variables = "{" + ", ".join(filter(None, [raw_var, vars_])) + "}"
        return self.run(
            [str(BIN / "dbt"), *args, "--vars", variables],
            {
                "DUCKDB_PATH": str(warehouse),
                "DBT_TARGET_PATH": str(warehouse.parent / "target"),
                "DBT_LOG_PATH": str(warehouse.parent / "logs"),
            },
        )

    def publish(self, working: Path, published: Path, *args: str) -> Run:
        return self.run(
            [str(BIN / "python"), "-m", "customer_analytics.publish", *args],
            self.publish_env(working, published),
        )

    def publish_env(self, working: Path, published: Path) -> dict:
        return {
            "DUCKDB_PATH": str(working),
            "PUBLISHED_DUCKDB_PATH": str(published),
            "DBT_TARGET_PATH": str(working.parent / "target"),
            "DBT_LOG_PATH": str(working.parent / "logs"),
        }

    def python(self, code: str, *args: str) -> Run:
        return self.run([str(BIN / "python"), "-c", code, *args])


def rows(path: Path, sql: str, role: str | None = "DATA_ENGINEER") -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        if role:
            connection.execute(f"set variable analytics_role = '{role}'")
        return connection.execute(sql).fetchall()


def build_ok(run: Run) -> str:
    return "passed" if run.returncode == 0 else f"FAILED ({run.last_lines()[:160]})"


# --- ordinary deliveries: history, incremental = full (items 1, 2, 3, 8, 9) -------------------


def from_checkout(relative_path: str):
    """A module of this checkout, not the clone's: the delivery patterns are data, and replaying
    them against an older revision shows what that revision did with them; the content hashes
    must be the same measure whatever the revision."""
    path = PROJECT_ROOT / relative_path
    spec = importlib.util.spec_from_file_location(f"checkout_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def delivery_patterns():
    return from_checkout("src/customer_analytics/deliveries.py")


def hashes(path: Path, schemas: tuple[str, ...]) -> dict[str, tuple]:
    return from_checkout("tests/python/published_reader.py").content_hashes(path, schemas)


def history_cases(clone: Clone) -> list[Check]:
    patterns = delivery_patterns()
    removed, rekeyed = patterns.REMOVED_CLIENT, patterns.REKEYED_CLIENT[0]
    rejected_then_removed = patterns.REJECTED_THEN_REMOVED
    deliveries = patterns.write_deliveries(clone.sample, clone.work / "deliveries")
    daily = clone.work / "daily" / "warehouse.duckdb"
    daily.parent.mkdir()
    # The history relations of this revision, or the dbt snapshots of older ones.
    history = (
        "stage.assignment_history", "stage.client_history",
        "stage.assignments_snapshot", "stage.client_dim_snapshot",
    )  # fmt: skip
    checks = []

    first = clone.dbt(["build"], daily, deliveries["first"])
    keys = dict(
        rows(
            daily,
            "select source_client_id, client_key from core.client_xref where"
            f" source_client_id in ('{removed}', '{rekeyed}')",
        )  # fmt: skip
    )
    before = {name: value for name, value in hashes(daily, ("stage",)).items() if name in history}
    what_if = clone.dbt(["build"], daily, deliveries["first"], "as_of_date: '2025-06-01'")
    after = {name: value for name, value in hashes(daily, ("stage",)).items() if name in history}
    checks.append(Check(
        "3 what-if build writes history", "build passes, history rows unchanged",
        f"build {build_ok(what_if)}, {sorted(after)}"
        f" {'unchanged' if after == before else 'CHANGED'}",
        first.returncode == what_if.returncode == 0 and bool(before) and after == before,
    ))  # fmt: skip

    patterns.change_reference_seeds(clone.root)
    second = clone.dbt(["build"], daily, deliveries["second"])
    try:
        ended = sorted(reason for _, reason in rows(
            daily,
            "select client_key, end_reason from core.assignments_fact where client_key in"
            f" ('{keys.get(removed)}', '{keys.get(rekeyed)}') and not is_current",
        ))  # fmt: skip
    except duckdb.BinderException as error:  # a revision without end_reason
        ended = [str(error).splitlines()[0][:80]]
    # The fact is core.transactions_fact; revisions before 1d04e0f call it fct_transactions.
    facts = rows(
        daily,
        "select table_name from duckdb_tables() where schema_name = 'core'"
        " and table_name in ('transactions_fact', 'fct_transactions')",
    )
    statuses = [
        status
        for (fact,) in facts
        for status in rows(
            daily,
            f"select distinct client_match_status from core.{fact} where source_client_id"
            f" in ('{removed}', '{rejected_then_removed}')",
        )
    ]
    checks.append(Check(
        "1 client removed / re-keyed", "build passes; both keys end 'client_retired'",
        f"build {build_ok(second)}; ended: {ended}",
        second.returncode == 0 and ended == ["client_retired"] * 2,
    ))  # fmt: skip
    checks.append(Check(
        "9 record left the delivery", "its lines say unknown_client",
        f"{sorted(status for (status,) in statuses)}", statuses == [("unknown_client",)],
    ))  # fmt: skip

    runs = [
        clone.dbt(["build"], daily, deliveries["correction"]),
        clone.dbt(["build", "--full-refresh"], daily, deliveries["second"]),
        clone.dbt(["build"], daily, deliveries["correction"]),
        clone.dbt(["build"], daily, deliveries["second"]),
        clone.dbt(["build"], daily, deliveries["correction"]),
    ]
    [(overlaps,)] = rows(
        daily,
        "select count(*) from (select client_key, valid_from from core.assignments_fact"
        " group by all having count(*) > 1)",
    )
    checks.append(Check(
        "2 as-of date moves back and forth (5 builds, one --full-refresh)",
        "every build passes, no overlapping versions",
        f"{[run.returncode for run in runs]} exit codes, {overlaps} overlapping versions",
        all(run.returncode == 0 for run in runs) and overlaps == 0,
    ))  # fmt: skip

    full = clone.work / "full" / "warehouse.duckdb"
    full.parent.mkdir()
    fresh = clone.dbt(["build"], full, deliveries["correction"])
    expected, actual = hashes(full, ("core",)), hashes(daily, ("core",))
    # History is state the builds grew, not a function of the last delivery: assignments_fact is
    # compared on its current rows (below), and score_drift compares the dates a file recorded
    # (tests/python/test_delivery_sequence.py checks it against those dates).
    history_state = ("core.assignments_fact", "core.score_drift")
    differing = sorted(
        name
        for name in expected
        if name not in history_state and expected[name] != actual.get(name)
    )
    current = (
        "select client_key, territory_key, advisor_key, tier, rule_id"
        " from core.assignments_fact where is_current order by 1"
    )
    same_current = rows(full, current) == rows(daily, current)
    checks.append(Check(
        "8 incremental = full after seed, client and line changes",
        "every core relation equal (assignments_fact: current rows; score_drift: history)",
        f"full build {build_ok(fresh)}; {len(expected)} relations,"
        f" differing: {differing or 'none'},"
        f" current assignments {'equal' if same_current else 'DIFFER'}",
        fresh.returncode == 0 and not differing and same_current,
    ))  # fmt: skip
    return checks


# --- publishing (items 4, 5, 6, 7, 14, 16) -------------------------------------------------


WORKING_FILE = """
import duckdb, sys
with duckdb.connect(sys.argv[1]) as c:
    c.execute("create schema core")
    c.execute("create table core.facts as select range as id, ? as build, md5(range::varchar)"
              " as payload from range(?)", [sys.argv[2], int(sys.argv[3])])
    c.execute("create view core.v_facts as select build, count(*) as n from warehouse.core.facts"
              " group by build")
"""

PUBLISH_LOOP = """
import sys
from pathlib import Path
from customer_analytics.publish import publish_file
for _ in range(int(sys.argv[3])):
    publish_file(Path(sys.argv[1]), Path(sys.argv[2]), principals_dir=Path(sys.argv[4]))
"""


def concurrent_publishers(clone: Clone, trials: int) -> Check:
    base = clone.work / "concurrency"
    inputs = {}
    for build, size in (("a", 300_000), ("b", 200_000)):
        working = base / build / "warehouse.duckdb"
        working.parent.mkdir(parents=True)
        clone.python(WORKING_FILE, str(working), build, str(size))
        inputs[build] = working
    published = base / "published" / "warehouse.duckdb"
    publishers = [
        subprocess.Popen(
            [
                str(BIN / "python"),
                "-c",
                PUBLISH_LOOP,
                str(working),
                str(published),
                str(trials),
                str(base / "principals"),
            ],
            env=clone.env,
            cwd=clone.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        for working in inputs.values()
    ]
    seen = {"a": 0, "b": 0, "neither": 0, "unreadable": 0}
    while any(publisher.poll() is None for publisher in publishers):
        if published.exists():
            try:
                [(build, count)] = rows(published, "select build, n from core.v_facts", None)
                whole = count == {"a": 300_000, "b": 200_000}[build]
                seen[build if whole else "neither"] += 1
            except (duckdb.Error, ValueError):
                seen["unreadable"] += 1
        time.sleep(0.05)
    failed = [publisher.returncode for publisher in publishers if publisher.returncode]
    leftovers = sorted(path.name for path in published.parent.glob("*.publishing*"))
    return Check(
        f"4 two publishers, {trials} publishes each, one path",
        "every read whole and equal to one build; no staging file left",
        f"reads {seen}; publisher failures {failed or 'none'}; leftovers {leftovers or 'none'}",
        not failed and seen["neither"] == seen["unreadable"] == 0 and not leftovers
        and seen["a"] + seen["b"] > 0,
    )  # fmt: skip


CRASHED_WRITER = """
import duckdb, os, sys
connection = duckdb.connect(sys.argv[1])
connection.execute("set wal_autocheckpoint = '1TB'")
connection.execute("create or replace view analytics.v_written_by_an_analyst as select 1 as x")
os._exit(0)
"""


def publishing_cases(clone: Clone, trials: int) -> list[Check]:
    checks = [concurrent_publishers(clone, trials)]
    working = clone.work / "publish" / "build" / "warehouse.duckdb"
    published = clone.work / "publish" / "warehouse.duckdb"
    working.parent.mkdir(parents=True)
    first = clone.publish(working, published)
    checks.append(Check(
        "publish the sample", "build passes, warehouse.duckdb and principal files written",
        f"exit {first.returncode}: {first.last_lines()[:200]}", first.returncode == 0,
    ))  # fmt: skip
    if first.returncode != 0:
        return checks

    examples = unsafe_examples(clone.root)
    checks.append(Check(
        "5 docs open the published file read-only", "no example opens it read-write",
        f"{len(examples)} read-write examples {examples[:3]}", not examples,
    ))  # fmt: skip

    os.chmod(published, 0o644)
    clone.python(CRASHED_WRITER, str(published))
    wal = published.with_name(published.name + ".wal")
    had_wal = wal.exists()
    again = clone.publish(working, published)
    try:
        [(views,)] = rows(published, "select count(*) from duckdb_views() where not internal")
        reopened = f"opens read-only ({views} views)"
    except duckdb.Error as error:
        reopened = f"UNOPENABLE: {str(error).splitlines()[0][:120]}"
    checks.append(Check(
        "5 a read-write connection died and left a log",
        "next publish sets the log aside; file opens",
        f"log left: {had_wal}; publish exit {again.returncode}; {reopened}",
        had_wal and again.returncode == 0 and reopened.startswith("opens"),
    ))  # fmt: skip

    checks.append(old_client(clone, published))
    checks += concurrent_builds(clone, working, published)
    checks.append(immutable_published(clone, working, published))
    checks += principal_cases(clone, published)
    checks += export_cases(clone, working, published)
    return checks


def unsafe_examples(root: Path) -> list[str]:
    found = []
    for path in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            opens_python = (
                "duckdb.connect('warehouse.duckdb'" in line or 'connect("warehouse.duckdb"' in line
            )
            opens_cli = "duckdb warehouse.duckdb" in line
            if (opens_python and "read_only=True" not in line) or (
                opens_cli and "-readonly" not in line
            ):
                found.append(f"{path.name}:{number}")
    return found


OPEN_EVERYTHING = """
import duckdb, sys
connection = duckdb.connect(sys.argv[1], read_only=True)
connection.execute("set variable analytics_role = 'DATA_ENGINEER'")
names = connection.execute(
    "select table_schema || '.' || table_name from information_schema.tables"
).fetchall()
for (name,) in names:
    connection.execute(f"select count(*) from {name}").fetchall()
print(duckdb.__version__, len(names))
"""


def old_client(clone: Clone, published: Path) -> Check:
    made = clone.run(
        [str(BIN / "python"), "-m", "customer_analytics.compat", str(clone.work / "duckdb1")]
    )
    python = clone.work / "duckdb1" / "bin" / "python"
    if made.returncode != 0:
        return Check(
            "6 DuckDB 1.x client",
            "reads every relation",
            f"no client venv: {made.last_lines()}",
            False,
        )
    done = subprocess.run(
        [str(python), "-c", OPEN_EVERYTHING, str(published)],
        capture_output=True,
        text=True,
        check=False,
    )
    observed = done.stdout.strip() or done.stderr.strip().splitlines()[-1][:160]
    return Check(
        "6 DuckDB 1.x client opens the published file", "every relation readable",
        f"duckdb, relations read: {observed}", done.returncode == 0,
    )  # fmt: skip


def concurrent_builds(clone: Clone, working: Path, published: Path) -> list[Check]:
    command = [str(BIN / "python"), "-m", "customer_analytics.publish"]
    env = {**clone.env, **clone.publish_env(working, published)}
    running = subprocess.Popen(
        command, cwd=clone.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(8)
    second = clone.publish(working, published)
    lines = [line for line in second.output.splitlines() if line.strip()]
    checks = [Check(
        "7 a second build while one runs",
        "stops at once: one line naming the running one, exit 75",
        f"exit {second.returncode}, {len(lines)} line(s): {lines[0][:140] if lines else ''}",
        second.returncode == 75 and len(lines) == 1 and "Traceback" not in second.output,
    )]  # fmt: skip
    dbt_children = children(running.pid)
    running.send_signal(signal.SIGKILL)
    running.wait()
    time.sleep(3)
    survivors = [pid for pid in dbt_children if Path(f"/proc/{pid}").exists() and state(pid) != "Z"]
    checks.append(Check(
        "7 kill -9 of the publisher during the build", "no dbt process survives it",
        f"{len(dbt_children)} child(ren) before, {len(survivors)} alive after",
        bool(dbt_children) and not survivors,
    ))  # fmt: skip
    return checks


def state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def immutable_published(clone: Clone, working: Path, published: Path) -> Check:
    # The rename replaces a directory entry: an immutable directory refuses it, as an immutable
    # file would (chattr needs root and a filesystem that supports it).
    directory = published.parent
    locked = subprocess.run(
        ["chattr", "+i", str(published)], capture_output=True, text=True, check=False
    )
    if locked.returncode != 0:
        return Check(
            "7 the published file cannot be replaced",
            "one line naming the file, no staging file left",
            f"NOT REPRODUCIBLE HERE: chattr +i failed ({locked.stderr.strip()[:80]})",
            False,
        )
    try:
        refused = clone.publish(working, published)
    finally:
        subprocess.run(["chattr", "-i", str(published)], check=False)
    lines = [line for line in refused.output.splitlines() if line.startswith("publish:")]
    leftovers = sorted(path.name for path in directory.glob("*.publishing*"))
    return Check(
        "7 the published file cannot be replaced (chattr +i)",
        "one line naming the file, non-zero exit, no staging file left",
        f"exit {refused.returncode}: {lines[-1][:140] if lines else refused.last_lines()[:140]};"
        f" leftovers {leftovers or 'none'}; traceback {'Traceback' in refused.output}",
        refused.returncode != 0 and not leftovers and "Traceback" not in refused.output,
    )  # fmt: skip


def principal_cases(clone: Clone, published: Path) -> list[Check]:
    checks = []
    for role, expectation in (
        (None, "error naming the variables"),
        ("INTERN", "error naming the variables"),
        ("crm_analyst", "every row (roles in any case)"),
    ):
        with duckdb.connect(str(published), read_only=True) as connection:
            if role:
                connection.execute("set variable analytics_role = ?", [role])
            try:
                [(count,)] = connection.execute(
                    "select count(*) from analytics.v_client_360"
                ).fetchall()
                observed = f"{count} rows"
            except duckdb.Error as error:
                observed = "error: " + str(error).splitlines()[0][:110]
        ok = (
            observed.startswith("error") and "analytics_role" in observed
            if role != "crm_analyst"
            else observed.endswith("rows") and not observed.startswith("0 ")
        )
        checks.append(Check(f"14 role {role!r}", expectation, observed, ok))
    lead = published.parent / "principals" / "LEAD_UK.duckdb"
    if not lead.exists():
        return [
            *checks,
            Check("14 per-principal file", "principals/LEAD_UK.duckdb", "missing", False),
        ]
    schemas = rows(lead, "select distinct schema_name from duckdb_tables()", None)
    views = rows(lead, "select count(*) from duckdb_views() where not internal", None)[0][0]
    regions = rows(lead, "select distinct region from analytics.v_client_360", None)
    masked = rows(
        lead,
        "select count(*) filter (where email <> '***MASKED***') from analytics.v_client_360",
        None,
    )[0][0]
    checks.append(Check(
        "14 per-principal file LEAD_UK", "analytics tables only, UK & Ireland, PII masked",
        f"schemas {sorted(s for (s,) in schemas)}, {views} views,"
        f" regions {sorted(r for (r,) in regions)}, {masked} unmasked emails",
        [s for (s,) in schemas] == ["analytics"]
        and views == 0
        and regions == [("UK & Ireland",)]
        and masked == 0,
    ))  # fmt: skip
    return checks


def export_cases(clone: Clone, working: Path, published: Path) -> list[Check]:
    failing = clone.root / "tests" / "marts" / "assert_reliability_failure.sql"
    failing.write_text("select 1 as injected_failure\n")
    try:
        failed = clone.publish(working, published)
    finally:
        failing.unlink()
    target = clone.work / "export" / "v_client_360.csv"
    target.parent.mkdir()
    exported = clone.run(
        [str(BIN / "python"), "-m", "customer_analytics.export", "--view", "v_client_360",
         "--format", "csv", "--out", str(target), "--published", str(published)],
        {"PUBLISHED_DUCKDB_PATH": str(published)},
    )  # fmt: skip
    with target.open() if target.exists() else open(os.devnull) as handle:
        exported_rows = max(sum(1 for _ in csv.reader(handle)) - 1, 0)
    [(published_rows,)] = rows(published, "select count(*) from analytics.v_client_360")
    checks = [Check(
        "16 export after a build that failed its tests", "rows of the published file",
        f"build exit {failed.returncode}; export exit {exported.returncode}, {exported_rows} rows;"
        f" published {published_rows}",
        failed.returncode != 0 and exported.returncode == 0 and exported_rows == published_rows,
    )]  # fmt: skip
    cleaned = clone.run(
        ["make", "--no-print-directory", "clean"], {"PUBLISHED_DUCKDB_PATH": str(published)}
    )
    checks.append(Check(
        "16 make clean", "keeps the published file",
        f"exit {cleaned.returncode}; published file {'kept' if published.exists() else 'DELETED'}",
        cleaned.returncode == 0 and published.exists(),
    ))  # fmt: skip
    return checks


# --- raw input (items 10-13) --------------------------------------------------------------


def raw_input_cases(clone: Clone) -> list[Check]:
    # A directory name with a quote and braces (13): everything below builds from it.
    raw = clone.work / "raw o'brien {crm}"
    shutil.copytree(clone.sample, raw)
    with (raw / "transactions.csv").open(newline="", encoding="utf-8") as handle:
        header, *lines = list(csv.reader(handle))
    column = {name: index for index, name in enumerate(header)}

    def line(invoice: str, **values) -> list[str]:
        row = list(lines[0])
        row[column["invoice_no"]] = invoice
        for name, value in values.items():
            row[column[name]] = value
        return row

    bad = [
        line("990001", invoice_date="2031-01-01 10:00:00"),
        line("990002", invoice_date="0001-01-01 10:00:00"),
        line("990003", invoice_date="9999-12-31 10:00:00"),
        line("990004", quantity="100000000000000", unit_price="1000"),
    ]
    write_csv(raw / "transactions.csv", header, [*lines, *bad])
    warehouse = clone.work / "raw" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    built = clone.dbt(["build"], warehouse, raw)
    checks = [Check(
        "13 raw_data_dir with a quote and braces", "builds", build_ok(built), built.returncode == 0,
    )]  # fmt: skip
    if built.returncode == 0:
        reasons = dict(
            rows(
                warehouse,
                "select invoice_no, reject_reason from stage.stg_crm__transactions_rejected"
                " where invoice_no like '99000_'",
            )
        )
        [(as_of,)] = rows(warehouse, "select cast(max(as_of_date) as varchar) from core.rfm")
        checks.append(Check(
            "10 invoices dated 2031, year 1 and 9999",
            "rejected as implausible; as-of date unchanged (2026-01-01)",
            f"{[reasons.get(f'99000{n}') for n in (1, 2, 3)]}; as-of {as_of}",
            all(reasons.get(f"99000{n}") == "implausible_invoice_date" for n in (1, 2, 3))
            and as_of == "2026-01-01",
        ))  # fmt: skip
        checks.append(Check(
            "11 quantity 10^14 x price 1000", "rejected with a reason, build passes",
            f"{reasons.get('990004')}",
            reasons.get("990004") in ("quantity_out_of_range", "line_amount_out_of_range"),
        ))  # fmt: skip

    broken = {
        "12 duplicated header column": (
            lambda: [*header, "quantity"],
            lambda rows_: [[*row, "999"] for row in rows_],
            "duplicated column",
        ),
        "13 ';'-delimited file": (None, None, "';'-delimited"),
        "13 a short row": (
            lambda: header,
            lambda rows_: [*rows_[:3], rows_[3][:-2], *rows_[4:]],
            "fewer fields",
        ),
    }
    for case, (make_header, make_rows, phrase) in broken.items():
        directory = clone.work / case.replace(" ", "_").replace("'", "").replace(";", "semicolon")
        shutil.copytree(clone.sample, directory)
        if make_header is None:
            text = (clone.sample / "transactions.csv").read_text().replace(",", ";")
            (directory / "transactions.csv").write_text(text)
        else:
            write_csv(directory / "transactions.csv", make_header(), make_rows(lines))
        stopped = clone.dbt(["build"], directory / "warehouse.duckdb", directory)
        message = next(
            (text for text in stopped.output.splitlines() if "Raw file" in text),
            stopped.last_lines(),
        )
        checks.append(Check(
            case, f"run stops with a message naming the file and the problem ({phrase!r})",
            f"exit {stopped.returncode}: {message.strip()[:170]}",
            stopped.returncode != 0 and phrase in stopped.output and "transactions.csv" in message,
        ))  # fmt: skip
    return checks


def write_csv(path: Path, header: list[str], body: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(body)


# --- Snowflake, generated SQL (item 15) -----------------------------------------------------


def snowflake_cases(clone: Clone) -> list[Check]:
    run = clone.run(
        [str(BIN / "pytest"), "-q", "-p", "no:cacheprovider",
         "tests/python/test_security_snowflake_statements.py"],
        {"PYTHONPATH": f"{clone.root / 'src'}{os.pathsep}{clone.root / 'tests' / 'python'}"},
    )  # fmt: skip
    return [Check(
        "15 Snowflake statements in order (generated SQL on the emulator, no account)",
        "policies with real bodies before any grant; views created with their policies;"
        " no USAGE on the audit database",
        run.last_lines()[:160], run.returncode == 0,
    )]  # fmt: skip


GROUPS: dict[str, Callable[..., list[Check]]] = {
    "history": lambda clone, args: history_cases(clone),
    "publish": lambda clone, args: publishing_cases(clone, args.trials),
    "raw": lambda clone, args: raw_input_cases(clone),
    "snowflake": lambda clone, args: snowflake_cases(clone),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=PROJECT_ROOT)
    parser.add_argument("--rev", default="HEAD")
    parser.add_argument("--only", nargs="+", choices=sorted(GROUPS), default=sorted(GROUPS))
    parser.add_argument("--trials", type=int, default=20, help="publishes per publisher (case 4)")
    parser.add_argument("--keep", action="store_true", help="keep the clone and its files")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="reliability-"))
    checks: list[Check] = []
    try:
        clone = Clone(args.repo.resolve(), args.rev, work)
        for name in args.only:
            started = time.monotonic()
            for check in GROUPS[name](clone, args):
                print(check.line(), flush=True)
                checks.append(check)
            print(f"# {name}: {time.monotonic() - started:.0f} s", flush=True)
    finally:
        if args.keep:
            print(f"# kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(
        "| | case | expected | observed |\n| --- | --- | --- | --- |\n"
        + "".join(
            f"| {'PASS' if c.ok else 'FAIL'} | {c.case} | {c.expected}"
            f" | {c.observed.replace('|', '/')} |\n"
            for c in checks
        )
    )
    failed = [check for check in checks if not check.ok]
    print(f"# {len(checks) - len(failed)} of {len(checks)} checks as expected; report: {REPORT}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
