"""Corrupted raw files. Bad values (dates, numbers, odd Unicode, delimiters inside quotes, a 1 MB
field) and well-formed but impossible ones (invoices dated 2031, 9999 or year 1, quantities and
amounts that would overflow the amount types) must not crash the build: every raw line is staged
or rejected, corrupted lines carry the reason their corruption calls for (a corrupted optional
client attribute: the client is staged with the attribute nulled and the matching quality flag,
and its invoice lines stay matched), and future-dated lines do not move the as-of date. A
structurally broken file (empty, header only, rows with more or fewer fields than the header, a
duplicated or otherwise delimited header, bytes that are not UTF-8, an unterminated quote) stops
the run with a message naming the file and the problem."""

from __future__ import annotations

import csv
import hashlib
import random
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import SAMPLE_DIR, copy_project, run_dbt

SEED = 20261201
CORRUPTED_PER_KIND = 25
ODD_TEXT = ["CAFÉ\u00a0CUP", "MUG 😀", "ÇA\u200bVA", "نعناع TEA", "ZÜRICH\tMUG", "e\u0301CLAIR"]


ONE_MEGABYTE = "LONG " * 209_716


@dataclass(frozen=True)
class Corruption:
    field: str
    values: tuple[str, ...]
    reason: str | None  # None: the line must still be staged
    lines: int = CORRUPTED_PER_KIND
    flag: str | None = None  # the quality_flags a staged client row must then carry


CORRUPTIONS = {
    "transactions": [
        Corruption(
            "invoice_date",
            ("31/02/2024", "2024-13-01", "yesterday", "2024-02-30", "2024"),
            "invalid_invoice_date",
        ),
        Corruption(
            "invoice_date",
            (
                "2031-06-01 10:00:00",
                "9999-12-31 23:59:59",
                "0001-01-01 00:00",
                "1970-01-01 00:00:00",
                "1969-07-20 20:17",
            ),
            "implausible_invoice_date",
        ),
        Corruption(
            "quantity", ("100000000000000", "1000000001", "-99999999999"), "quantity_out_of_range"
        ),
        Corruption("unit_price", ("99999999999999.99", "100000001"), "line_amount_out_of_range"),
        Corruption(
            "quantity",
            ("1.5", "abc", "1e3", "99999999999999999999", "--1", "6 pcs"),
            "invalid_quantity",
        ),
        Corruption(
            "unit_price", ("1,23", "NaN", "inf", "€5", "1.2.3", "0x10"), "invalid_unit_price"
        ),
        Corruption("invoice_no", ("   ", "\t"), "missing_invoice_no"),
        Corruption("description", ('RED, WHITE "AND" BLUE', "A,B,,C", 'SAID "HI"'), None),
        Corruption("description", tuple(ODD_TEXT), None),
        Corruption("description", (ONE_MEGABYTE,), None, lines=1),
        Corruption("country", tuple(ODD_TEXT), None),
        Corruption("quantity", (" 6 ", "+6"), None),
    ],
    # Only a missing key or a duplicate rejects a client; a bad optional value is nulled and
    # flagged on the staged row.
    "clients": [
        Corruption("client_name", ("   ", ""), "missing_client_name"),
        Corruption("client_type", ("company", "1"), None, flag="client_type:unknown_value"),
        Corruption(
            "date_of_birth",
            ("31/12/1980", "1980-02-30", "unknown"),
            None,
            flag="date_of_birth:unparseable",
        ),
        Corruption(
            "date_of_birth", ("1850-01-01", "1899-12-31"), None, flag="date_of_birth:too_early"
        ),
        Corruption("date_of_birth", ("2999-01-01",), None, flag="date_of_birth:in_future"),
        Corruption("annual_revenue", ("1,2m", "ten"), None, flag="annual_revenue:unparseable"),
        Corruption("annual_revenue", ("-5", "-0.01"), None, flag="annual_revenue:negative"),
        Corruption("created_at", ("2024-13-01", "tomorrow"), None, flag="created_at:unparseable"),
        Corruption(
            "created_at", ("9999-12-31 23:59:59", "2031-01-01"), None, flag="created_at:in_future"
        ),
        Corruption(
            "created_at", ("0001-01-01", "1970-01-01 00:00:00"), None, flag="created_at:too_early"
        ),
        Corruption("updated_at", ("2031-01-01 00:00",), None, flag="updated_at:in_future"),
        Corruption("updated_at", ("1900-01-01",), None, flag="updated_at:too_early"),
    ],
    "products": [
        Corruption("unit_price", ("1,5", "free"), "invalid_unit_price"),
        Corruption(
            "launch_date",
            ("01/01/2020", "2020-02-31", "9999-12-31", "0001-01-01"),
            "invalid_launch_date",
        ),
    ],
}
ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?")


def row_hash(fields: list[str]) -> str:
    """The warehouse's row fingerprint (macro row_hash): an empty CSV field is read as NULL."""
    text = "\x1f".join(field if field != "" else "\x1e" for field in fields)
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def is_timestamp(value: str) -> bool:
    if not ISO_TIMESTAMP.fullmatch(value.strip()):
        return False
    try:
        datetime.fromisoformat(value.strip())
    except ValueError:
        return False
    return True


def is_decimal(value: str) -> bool:
    return re.fullmatch(r"[-+]?\d{1,15}(\.\d+)?", value.strip()) is not None


def is_integer(value: str) -> bool:
    return re.fullmatch(r"[-+]?\d{1,18}", value.strip()) is not None


def is_non_negative_decimal(value: str) -> bool:
    return is_decimal(value) and float(value) >= 0


def is_client_type(value: str) -> bool:
    return value.strip().lower() in ("institution", "individual")


def present(value: str) -> bool:
    return bool(value.strip())


def optional(check):
    return lambda value: not value.strip() or check(value)


def dated_between(earliest: str):
    """A timestamp from `earliest` to the end of the day after the delivery date (the run's
    date, UTC): the staging bounds, with the default min_plausible_date."""
    latest = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    return lambda value: is_timestamp(value) and earliest <= value.strip()[:10] <= latest


plausible = dated_between("1970-01-02")


def field(name: str, check):
    return lambda row: check(row[name])


# Each entity's reject checks on a raw row, in the order of the reject_reasons seed (a check
# may assume the ones before it passed).
CHECKS = {
    "transactions": [
        ("missing_invoice_no", field("invoice_no", present)),
        ("missing_stock_code", field("stock_code", present)),
        ("missing_client_id", field("client_id", present)),
        ("invalid_invoice_date", field("invoice_date", is_timestamp)),
        ("implausible_invoice_date", field("invoice_date", plausible)),
        ("invalid_quantity", field("quantity", is_integer)),
        ("invalid_unit_price", field("unit_price", is_decimal)),
        ("zero_quantity", lambda row: int(row["quantity"]) != 0),
        ("non_positive_unit_price", lambda row: Decimal(row["unit_price"]) > 0),
        ("quantity_out_of_range", lambda row: abs(int(row["quantity"])) <= 10**9),
        (
            "line_amount_out_of_range",
            lambda row: abs(int(row["quantity"])) * Decimal(row["unit_price"]) <= 10**8,
        ),
    ],
    "clients": [
        ("missing_client_id", field("client_id", present)),
        ("missing_client_name", field("client_name", present)),
    ],
    "products": [
        ("missing_stock_code", field("stock_code", present)),
        ("invalid_unit_price", field("unit_price", is_decimal)),
        ("non_positive_unit_price", lambda row: float(row["unit_price"]) > 0),
        ("invalid_launch_date", field("launch_date", optional(plausible))),
    ],
}


# Each optional client attribute that is nulled and flagged when its value is not usable.
CLIENT_ATTRIBUTES_USABLE = [
    field("client_type", optional(is_client_type)),
    field("date_of_birth", optional(dated_between("1900-01-01"))),
    field("annual_revenue", optional(is_non_negative_decimal)),
    field("created_at", optional(plausible)),
    field("updated_at", optional(plausible)),
]


def corruption_decides(entity: str, row: dict[str, str], corruption: Corruption) -> bool:
    """True if the corruption alone decides this line's fate: every check that runs before the
    one its reason names passes, or, for a corruption that must stay staged, the whole line is a
    valid sale. A client line must also have no other attribute to flag, so that its flags are
    the corruption's alone."""
    checks = CHECKS[entity]
    if entity == "clients" and not all(usable(row) for usable in CLIENT_ATTRIBUTES_USABLE):
        return False
    if corruption.reason is None and entity == "clients":
        return all(check(row) for _, check in checks)
    if corruption.reason is None:
        return (
            all(check(row) for _, check in checks)
            and int(row["quantity"]) > 0
            and not row["invoice_no"].strip().upper().startswith("C")
        )
    for reason, check in checks:
        if reason == corruption.reason:
            return True
        if not check(row):
            return False
    return True


def corrupt(
    entity: str, header: list[str], rows: list[list[str]], rng: random.Random
) -> dict[str, tuple[str | None, str | None]]:
    """Corrupt CORRUPTED_PER_KIND lines per corruption in place; the expected reason and quality
    flags by hash. Client lines are chosen among ids that occur once, so that no line's fate
    depends on which copy of an id wins."""
    counts: dict[str, int] = {}
    for row in rows:
        counts[row_hash(row)] = counts.get(row_hash(row), 0) + 1
    ids: dict[str, int] = {}
    if entity == "clients":
        for row in rows:
            client_id = row[header.index("client_id")].strip()
            ids[client_id] = ids.get(client_id, 0) + 1
    expected: dict[str, tuple[str | None, str | None]] = {}
    used: set[int] = set()
    for corruption in CORRUPTIONS[entity]:
        column = header.index(corruption.field)
        candidates = [
            index
            for index, row in enumerate(rows)
            if index not in used
            and counts[row_hash(row)] == 1
            and (entity != "clients" or ids[row[header.index("client_id")].strip()] == 1)
            and corruption_decides(entity, dict(zip(header, row, strict=True)), corruption)
        ]
        for index in rng.sample(candidates, corruption.lines):
            used.add(index)
            rows[index][column] = rng.choice(corruption.values)
            expected[row_hash(rows[index])] = (corruption.reason, corruption.flag)
    return expected


@pytest.fixture(scope="module")
def fuzzed_build(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("fuzz")
    raw_dir = tmp_path / "raw"
    shutil.copytree(SAMPLE_DIR, raw_dir)
    rng = random.Random(SEED)
    expected: dict[str, dict[str, tuple[str | None, str | None]]] = {}
    line_counts: dict[str, int] = {}
    for name in CORRUPTIONS:
        header, rows = read_csv(raw_dir / f"{name}.csv")
        expected[name] = corrupt(name, header, rows, rng)
        write_csv(raw_dir / f"{name}.csv", header, rows)
        line_counts[name] = len(rows)

    project = copy_project(tmp_path / "project")
    duckdb_path = tmp_path / "warehouse.duckdb"
    run = run_dbt(
        ["build", "--project-dir", str(project), "--vars", f"{{raw_data_dir: {raw_dir}}}"],
        tmp_path,
        duckdb_path,
        cwd=project,
    )
    return run, duckdb_path, expected, line_counts


def test_build_with_corrupted_values_succeeds(fuzzed_build):
    run, *_ = fuzzed_build
    assert run.returncode == 0, run.output[-4000:]


@pytest.mark.parametrize("entity", ["transactions", "clients", "products"])
def test_every_raw_line_is_staged_or_rejected(fuzzed_build, entity):
    run, duckdb_path, _, line_counts = fuzzed_build
    assert run.returncode == 0, run.output[-2000:]
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        staged = connection.execute(f"select count(*) from stage.stg_crm__{entity}").fetchone()[0]
        rejected = connection.execute(
            f"select count(*) from stage.stg_crm__{entity}_rejected"
        ).fetchone()[0]
    assert staged > 0
    assert staged + rejected == line_counts[entity]


@pytest.mark.parametrize("entity", ["transactions", "clients", "products"])
def test_corrupted_lines_get_the_reason_their_corruption_calls_for(fuzzed_build, entity):
    run, duckdb_path, expected, _ = fuzzed_build
    assert run.returncode == 0, run.output[-2000:]
    flags = "quality_flags" if entity == "clients" else "null"
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        found = {
            hash_: (reason, flag)
            for hash_, reason, flag in connection.execute(
                f"select row_hash, reject_reason, {flags} from stage.base_crm__{entity}"
                " where row_hash in (select unnest($hashes))",
                {"hashes": list(expected[entity])},
            ).fetchall()
        }
    assert found == expected[entity]


def test_clients_with_corrupted_attributes_keep_their_invoice_lines(fuzzed_build):
    """A client staged with a flag is a client like any other downstream: its invoice lines are
    matched to a golden client, none is left as client_record_rejected."""
    run, duckdb_path, expected, _ = fuzzed_build
    assert run.returncode == 0, run.output[-2000:]
    flagged = [hash_ for hash_, (reason, _) in expected["clients"].items() if reason is None]
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        [(clients, with_lines, statuses)] = connection.execute(
            """
            select
                count(distinct clients.client_id),
                count(distinct lines.source_client_id),
                string_agg(distinct lines.client_match_status, ',')
            from stage.stg_crm__clients as clients
            left join core.transactions_fact as lines
                on clients.client_id = lines.source_client_id
            where clients.row_hash in (select unnest($hashes))
            """,
            {"hashes": flagged},
        ).fetchall()
    assert clients == len(flagged)
    assert with_lines > 0
    assert statuses == "matched"


def test_implausible_dates_do_not_move_the_as_of_date_or_break_scoring(fuzzed_build):
    """The sample's last line is dated 2025-12-31; lines dated 2031 or 9999 are rejected, so the
    as-of date stays the day after it and the churn model is trained on the real history."""
    run, duckdb_path, *_ = fuzzed_build
    assert run.returncode == 0, run.output[-2000:]
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        as_of_dates = connection.execute("select distinct as_of_date from core.rfm").fetchall()
        methods = connection.execute(
            "select distinct churn_method from core.client_scores where churn_method is not null"
        ).fetchall()
    assert as_of_dates == [(date(2026, 1, 1),)]
    assert len(methods) == 1 and not methods[0][0].startswith("fallback"), methods


def test_one_megabyte_field_is_kept_whole(fuzzed_build):
    run, duckdb_path, *_ = fuzzed_build
    assert run.returncode == 0, run.output[-2000:]
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        longest = connection.execute(
            "select max(length(description)) from stage.stg_crm__transactions"
        ).fetchone()[0]
    assert longest == len(ONE_MEGABYTE.strip())


def broken_file(raw_dir: Path, problem: str) -> tuple[str, str]:
    """Break one raw file; return the file's name and a phrase the error must contain."""
    transactions = raw_dir / "transactions.csv"
    lines = transactions.read_bytes().splitlines(keepends=True)
    if problem == "empty":
        (raw_dir / "clients.csv").write_bytes(b"")
        return "clients.csv", "empty"
    if problem == "header_only":
        products = raw_dir / "products.csv"
        products.write_bytes(products.read_bytes().splitlines(keepends=True)[0])
        return "products.csv", "no data rows"
    if problem == "stray_field_early":
        lines[3] = lines[3].rstrip(b"\n") + b",stray\n"
        transactions.write_bytes(b"".join(lines))
        return "transactions.csv", "more fields than its header"
    if problem == "stray_field_late":
        lines[-2] = lines[-2].rstrip(b"\n") + b",stray\n"
        transactions.write_bytes(b"".join(lines))
        return "transactions.csv", "Expected Number of Columns"
    if problem == "short_row_early":
        lines[3] = b",".join(lines[3].split(b",")[:6]) + b"\n"
        transactions.write_bytes(b"".join(lines))
        return "transactions.csv", "line 4 has fewer fields than its header (6 instead of 8)"
    if problem == "short_row_late":
        lines[-2] = b",".join(lines[-2].split(b",")[:6]) + b"\n"
        transactions.write_bytes(b"".join(lines))
        return "transactions.csv", f"CSV Error on Line: {len(lines) - 1}"
    if problem == "duplicated_column":
        # A bogus copy of quantity before the real one, which the reader would take.
        fixed = [b"quantity," + lines[0]] + [b"999," + line for line in lines[1:]]
        transactions.write_bytes(b"".join(fixed))
        return "transactions.csv", "duplicated column(s) in its header: quantity (columns 1 and 5)"
    if problem == "semicolon_delimited":
        products = raw_dir / "products.csv"
        products.write_bytes(products.read_bytes().replace(b",", b";"))
        return "products.csv", "the header looks ';'-delimited; the contract is comma-delimited"
    if problem == "tab_delimited":
        clients = raw_dir / "clients.csv"
        clients.write_bytes(clients.read_bytes().replace(b",", b"\t"))
        return "clients.csv", "the header looks tab-delimited; the contract is comma-delimited"
    if problem == "not_utf8":
        lines[-2] = lines[-2].replace(b",", "é,".encode("latin-1"), 1)
        transactions.write_bytes(b"".join(lines))
        return "transactions.csv", "not utf-8 encoded"
    if problem == "unterminated_quote":
        transactions.write_bytes(b"".join(lines) + b'999999,"85123A,broken\n')
        return "transactions.csv", "unterminated quote"
    raise ValueError(problem)


@pytest.fixture(scope="module")
def broken_files_dir(tmp_path_factory) -> Path:
    """One directory for every broken-file run, emptied of data before each: the same raw_data_dir
    and target dir let each run after the first reuse dbt's partial parse (a full parse each took
    the eleven runs 159 s, now 78 s), and each run still starts from an empty warehouse file."""
    return tmp_path_factory.mktemp("broken_files")


@pytest.mark.parametrize(
    "problem",
    [
        "empty",
        "header_only",
        "stray_field_early",
        "stray_field_late",
        "short_row_early",
        "short_row_late",
        "duplicated_column",
        "semicolon_delimited",
        "tab_delimited",
        "not_utf8",
        "unterminated_quote",
    ],
)
def test_structurally_broken_file_stops_the_run_naming_file_and_problem(broken_files_dir, problem):
    raw_dir = broken_files_dir / "raw"
    shutil.rmtree(raw_dir, ignore_errors=True)
    shutil.copytree(SAMPLE_DIR, raw_dir)
    for warehouse_file in broken_files_dir.glob("warehouse.duckdb*"):
        warehouse_file.unlink()
    file_name, phrase = broken_file(raw_dir, problem)
    run = run_dbt(
        ["build", "-s", "+base_crm__transactions", "+base_crm__clients", "+base_crm__products",
         "--vars", f"{{raw_data_dir: {raw_dir}}}"],
        broken_files_dir,
    )  # fmt: skip
    assert run.returncode != 0
    assert file_name in run.output, run.output[-3000:]
    assert phrase.lower() in run.output.lower(), run.output[-3000:]
