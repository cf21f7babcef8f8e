"""Real delivery patterns to replay against the build: a sequence of raw deliveries made from a
set of raw files (the committed sample by default), each the kind of change a CRM export brings
on an ordinary day.

    python -m customer_analytics.deliveries --sample data/raw --out /tmp/deliveries

- `first`: the sample up to 2025-11-30, without a scattering of older lines that arrive late.
- `second`: everything since, plus the late lines, and the changes an ordinary day brings: a
  client record removed (its lines stay, now with an unknown client), a record that was rejected
  and then removed, a client re-keyed to a new client_id and source system (its lines with it),
  a changed email, a corrected line (the old line withdrawn, the new one delivered) and a second
  copy of a line already loaded.
- `correction`: `second` with its latest lines withdrawn, which moves the as-of date backwards.

The client ids and dates below exist in the committed sample (`--seed 42 --clients 2000
--transactions 100000`). The reference-seed changes that go with the second delivery are applied
to a copy of the project by change_reference_seeds. Used by tests/python/test_delivery_sequence.py
and bench/reliability.py.
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path

FIRST_CUTOFF = "2025-12-01"
CORRECTION_CUTOFF = "2025-12-20"
LATE_LINE_EVERY = 997
REMOVED_CLIENT = "SF-0110518"
REJECTED_THEN_REMOVED = "SF-0109966"
REKEYED_CLIENT = ("HS-0170614", "salesforce", "SF-9170614")
EMAIL_CHANGED = ("D365-0287422", "new.owner@example.com")
CORRECTED_LINE = 12345
DUPLICATED_LINE = 20
NEW_NON_PRODUCT_CODE = "87628C"
WHITELISTED_CLIENT = "SF-0109821"
NEW_RULE = {
    "rule_id": "WL-HISTORY", "rule_type": "whitelist", "priority": "1",
    "client_id": WHITELISTED_CLIENT, "territory_id": "T-KEY", "advisor_id": "A002",
    "effective_from": "2023-01-01", "description": "Moved to key accounts between deliveries",
}  # fmt: skip


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[dict[str, str]]


def read_table(path: Path) -> Table:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return Table(list(reader.fieldnames or []), list(reader))


def write_table(path: Path, table: Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=table.header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(table.rows)


def append_row(path: Path, values: dict[str, str]) -> None:
    table = read_table(path)
    write_table(path, Table(table.header, [*table.rows, values]))


def is_late(index: int, line: dict[str, str]) -> bool:
    return index % LATE_LINE_EVERY == 0 and line["invoice_date"] < "2025-11-01"


def first_delivery(sample: Path, target: Path) -> Path:
    clients, products = read_table(sample / "clients.csv"), read_table(sample / "products.csv")
    lines = read_table(sample / "transactions.csv")
    held = [
        line
        for index, line in enumerate(lines.rows)
        if line["invoice_date"] < FIRST_CUTOFF and not is_late(index, line)
    ]
    write_table(target / "clients.csv", clients)
    write_table(target / "products.csv", products)
    write_table(target / "transactions.csv", Table(lines.header, held))
    return target


def rekeyed(row: dict[str, str]) -> dict[str, str]:
    old_id, source_system, new_id = REKEYED_CLIENT
    if row.get("client_id") != old_id:
        return row
    changed = {**row, "client_id": new_id}
    if "source_system" in row:
        changed["source_system"] = source_system
    return changed


def second_delivery(sample: Path, target: Path) -> Path:
    clients = read_table(sample / "clients.csv")
    kept = []
    for row in clients.rows:
        if row["client_id"].strip() in (REMOVED_CLIENT, REJECTED_THEN_REMOVED):
            continue
        if row["client_id"] == EMAIL_CHANGED[0]:
            row = {**row, "email": EMAIL_CHANGED[1], "updated_at": "2025-12-30 12:00:00"}
        kept.append(rekeyed(row))
    write_table(target / "clients.csv", Table(clients.header, kept))
    write_table(target / "products.csv", read_table(sample / "products.csv"))
    lines = read_table(sample / "transactions.csv")
    delivered = [rekeyed(line) for line in lines.rows]
    index = next(
        index
        for index in range(CORRECTED_LINE, len(delivered))
        if delivered[index]["quantity"].isdigit()
    )
    quantity = int(delivered[index]["quantity"]) + 1
    delivered[index] = {**delivered[index], "quantity": str(quantity)}
    delivered.append(delivered[DUPLICATED_LINE])
    write_table(target / "transactions.csv", Table(lines.header, delivered))
    return target


def correction_delivery(second: Path, target: Path) -> Path:
    for name in ("clients.csv", "products.csv"):
        write_table(target / name, read_table(second / name))
    lines = read_table(second / "transactions.csv")
    kept = [line for line in lines.rows if line["invoice_date"] < CORRECTION_CUTOFF]
    write_table(target / "transactions.csv", Table(lines.header, kept))
    return target


def change_reference_seeds(project: Path) -> None:
    """The seed changes that come with the second delivery: a stock code that turns out to be a
    fee, and a whitelist rule that moves a client to key accounts."""
    append_row(
        project / "seeds" / "reference" / "non_product_codes.csv",
        {"code": NEW_NON_PRODUCT_CODE, "match_type": "exact", "kind": "fee",
         "description": "Handling fee, listed after its lines were loaded"},
    )  # fmt: skip
    append_row(project / "seeds" / "reference" / "territory_rules.csv", NEW_RULE)


def write_deliveries(sample: Path, out: Path) -> dict[str, Path]:
    """The three deliveries, in the order a daily job would receive them."""
    first = first_delivery(sample, out / "first")
    second = second_delivery(sample, out / "second")
    return {
        "first": first,
        "second": second,
        "correction": correction_delivery(second, out / "correction"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, default=Path("data/raw"))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    for name, path in write_deliveries(args.sample, args.out).items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
