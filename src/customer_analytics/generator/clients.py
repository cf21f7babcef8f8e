"""Client records: entities as the source CRMs hold them, then the file-level defects.

One entity becomes one or more records, in the same or different systems. The first record of an
entity carries its canonical attributes; extra records carry variations (variations.py). Defects
then damage the file the way exports do, and every one is counted for the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import config, formatting, vocab
from .entities import Entities
from .geography import COUNTRIES, draw_phone
from .variations import Context, vary_record

CLIENT_COLUMNS = (
    "source_system",
    "client_id",
    "client_name",
    "client_type",
    "email",
    "phone",
    "address_line",
    "city",
    "postcode",
    "state",
    "country",
    "date_of_birth",
    "tax_id",
    "parent_client_id",
    "industry",
    "annual_revenue",
    "created_at",
    "updated_at",
)
TRUTH_COLUMNS = ("source_system", "client_id", "entity_id", "entity_type")


@dataclass
class Clients:
    rows: list[list[str]]  # clients.csv body, in file order, defects included
    truth: list[list[str]]  # ground_truth.csv body
    record_entity: np.ndarray  # entity of each distinct record
    record_id: list[str]  # client_id of each distinct record
    record_weight: np.ndarray  # relative share of its entity's invoices
    defects: dict[str, int]
    subsidiaries: int


def extra_row_counts(n_rows: int) -> tuple[int, int]:
    """Exact-duplicate and conflicting-id rows; they replace normal rows to keep N rows."""
    rates = config.CLIENT_DEFECT_RATES
    return (
        config.defect_count(rates["exact_duplicate_rows"], n_rows),
        config.defect_count(rates["conflicting_client_id"], n_rows),
    )


def _systems(rng, entity_of, rank) -> np.ndarray:
    """Source system per record: a second record usually lands in a system not yet used."""
    k = len(config.SOURCE_SYSTEMS)
    weights = np.asarray(config.SOURCE_SYSTEM_WEIGHTS)
    system = rng.choice(k, size=entity_of.size, p=weights)
    move, where = rng.random(entity_of.size) < 0.75, rng.random(entity_of.size)
    used: set[int] = set()
    for r in np.flatnonzero(rank > 0).tolist():
        if rank[r] == 1:
            used = {int(system[r - 1])}
        free = [s for s in range(k) if s not in used]
        if free and move[r]:
            cumulative = np.cumsum(weights[free]) / weights[free].sum()
            system[r] = free[min(int(np.searchsorted(cumulative, where[r])), len(free) - 1)]
        used.add(int(system[r]))
    return system


def _record_times(rng, birth_s, entity_of, rank) -> tuple[np.ndarray, np.ndarray]:
    """created_at before the entity's first purchase (the first record months earlier, later
    records in between); updated_at between created_at and the end of the window."""
    latest = birth_s - 3 * config.DAY_S
    first = latest - rng.exponential(200 * config.DAY_S, birth_s.size).astype(np.int64)
    first, latest = first[entity_of], latest[entity_of]
    later = first + (rng.random(rank.size) * (latest - first)).astype(np.int64)
    created = np.where(rank == 0, first, later)
    touched = rng.random(rank.size) < 0.75
    span = config.WINDOW_END_S - created
    updated = created + np.where(touched, rng.random(rank.size) ** 2 * span, 0).astype(np.int64)
    return created, updated


def _client_ids(rng, system, created) -> list[str]:
    """Zero-padded ids per system, increasing with creation time, with gaps for deleted records."""
    ids = [""] * system.size
    for s, prefix in enumerate(config.SOURCE_SYSTEM_PREFIXES):
        members = np.flatnonzero(system == s)
        members = members[np.argsort(created[members], kind="stable")]
        numbers = int(rng.integers(1_000, 400_000)) + np.cumsum(rng.geometric(0.6, members.size))
        for r, num in zip(members.tolist(), numbers.tolist(), strict=True):
            ids[r] = f"{prefix}-{num:07d}"
    return ids


def _canonical(ent: Entities, e: int) -> dict[str, str]:
    """The entity's attributes as the columns of clients.csv (ids and timestamps left blank)."""
    inst = bool(ent.is_institution[e])
    spec = COUNTRIES[int(ent.country[e])]
    record = dict.fromkeys(CLIENT_COLUMNS, "")
    record.update(
        {
            "client_name": ent.name[e],
            "client_type": "institution" if inst else "individual",
            "email": ent.email[e],
            "phone": ent.phone[e].international(),
            "address_line": ent.address[e],
            "city": spec.cities[int(ent.city[e])].name,
            "postcode": ent.postcode[e],
            "state": ent.state[e],
            "country": spec.name,
            "date_of_birth": ent.date_of_birth[e],
            "tax_id": ent.tax_id[e],
            "industry": vocab.INDUSTRIES[int(ent.industry[e])] if inst else "",
            "annual_revenue": f"{ent.annual_revenue[e]:.2f}" if inst else "",
        }
    )
    return record


def _context(ent: Entities, e: int) -> Context:
    return Context(
        bool(ent.is_institution[e]),
        ent.first_name[e],
        ent.last_name[e],
        ent.phone[e],
        COUNTRIES[int(ent.country[e])],
    )


def _parent_ids(rng, ent: Entities, entity_of, rank, first_record, ids) -> list[str]:
    """parent_client_id: a random record of the parent entity, often not its first one."""
    parent = ent.parent[entity_of]
    carries = (parent >= 0) & ((rank == 0) | (rng.random(rank.size) < 0.85))
    pick = first_record[np.maximum(parent, 0)] + (
        rng.random(rank.size) * ent.n_records[np.maximum(parent, 0)]
    ).astype(np.int64)
    return [ids[p] if c else "" for c, p in zip(carries.tolist(), pick.tolist(), strict=True)]


def _inject_cycles(rng, ent: Entities, first_record, ids, parent_ids) -> int:
    """Point pairs of unrelated top-level companies at each other: A -> B and B -> A."""
    inst = ent.is_institution
    is_parent = np.zeros(inst.size, dtype=bool)
    is_parent[ent.parent[ent.parent >= 0]] = True
    free = np.flatnonzero(inst & (ent.parent < 0) & ~is_parent)
    n = min(max(1, int(round(config.PARENT_CYCLE_SHARE * inst.sum()))), free.size // 2)
    pairs = rng.choice(free, size=2 * n, replace=False).reshape(-1, 2)
    for a, b in pairs.tolist():
        ra, rb = int(first_record[a]), int(first_record[b])
        parent_ids[ra], parent_ids[rb] = ids[rb], ids[ra]
    return n


@dataclass
class _Records:
    """Distinct client records sorted as in the file (by system, then client_id)."""

    rows: list[list[str]]
    entity: np.ndarray
    ids: list[str]
    weight: np.ndarray
    updated: np.ndarray
    parent_cycles: int


def _records(rng, ent: Entities) -> _Records:
    entity_of = np.repeat(np.arange(ent.size), ent.n_records)
    first_record = np.concatenate([[0], np.cumsum(ent.n_records)[:-1]])
    rank = np.arange(entity_of.size) - first_record[entity_of]
    system = _systems(rng, entity_of, rank)
    created, updated = _record_times(rng, ent.birth_s, entity_of, rank)
    ids = _client_ids(rng, system, created)
    parents = _parent_ids(rng, ent, entity_of, rank, first_record, ids)
    cycles = _inject_cycles(rng, ent, first_record, ids, parents)
    created_s, updated_s = formatting.timestamps(created), formatting.timestamps(updated)
    rows = []
    for r, e in enumerate(entity_of.tolist()):
        record = _canonical(ent, e)
        if rank[r] > 0:
            vary_record(record, _context(ent, e), rng)
        record.update(
            source_system=config.SOURCE_SYSTEMS[system[r]],
            client_id=ids[r],
            parent_client_id=parents[r],
            created_at=created_s[r],
            updated_at=updated_s[r],
        )
        rows.append(list(record.values()))
    weight = np.where(rank == 0, 1.0, rng.uniform(0.2, 1.0, rank.size))
    order = np.lexsort((np.array(ids), system)).tolist()
    return _Records(
        [rows[i] for i in order],
        entity_of[order],
        [ids[i] for i in order],
        weight[order],
        updated[order],
        cycles,
    )


_COL = {c: i for i, c in enumerate(CLIENT_COLUMNS)}
_INVALID_TYPES = ("corp", "person", "company", "private", "org")


def _invalid_dob(dob: str, u: float) -> str:
    y, m, d = dob.split("-")
    return (f"{d}/{m}/{y}", "unknown", f"{y}0230", f"{y}-02-30", f"31/02/{y}", "n/a")[int(u * 6)]


def _invalid_revenue(revenue: str, u: float) -> str:
    value = float(revenue)
    return (f"{value:,.2f}", f"{value / 1e6:.1f}m".replace(".", ","), "n/a", "abc", "TBC")[
        int(u * 5)
    ]


def _corrupt_in_place(rng, rows: list[list[str]], n_rows: int) -> tuple[dict[str, int], np.ndarray]:
    """Blank names and malformed types, dates of birth and revenues, on disjoint rows."""
    rates = config.CLIENT_DEFECT_RATES
    is_person = np.array([row[_COL["client_type"]] == "individual" for row in rows])
    taken = np.zeros(len(rows), dtype=bool)
    plan = (
        ("missing_client_name", "client_name", np.ones_like(taken), n_rows, lambda value, u: ""),
        ("invalid_date_of_birth", "date_of_birth", is_person, is_person.sum(), _invalid_dob),
        (
            "invalid_annual_revenue",
            "annual_revenue",
            ~is_person,
            (~is_person).sum(),
            _invalid_revenue,
        ),
        (
            "invalid_client_type",
            "client_type",
            np.ones_like(taken),
            n_rows,
            lambda value, u: _INVALID_TYPES[int(u * len(_INVALID_TYPES))],
        ),
    )
    counts = {}
    for defect, column, eligible, base, corrupt in plan:
        pool = np.flatnonzero(eligible & ~taken)
        chosen = rng.choice(
            pool, min(config.defect_count(rates[defect], int(base)), pool.size), replace=False
        )
        for i in np.sort(chosen).tolist():
            rows[i][_COL[column]] = corrupt(rows[i][_COL[column]], rng.random())
        taken[chosen] = True
        counts[defect] = int(chosen.size)
    return counts, taken


def _conflicting_row(rng, row: list[str], ent: Entities, e: int, updated: int) -> list[str]:
    """Same client_id, different content: a new phone number saved later."""
    spec = COUNTRIES[int(ent.country[e])]
    phone = draw_phone(spec, spec.cities[int(ent.city[e])], int(rng.integers(0, 2**62)))
    later = updated + 3600 + int(rng.random() * (config.WINDOW_END_S - updated - 3600))
    row = list(row)
    row[_COL["phone"]] = phone.international()
    row[_COL["updated_at"]] = formatting.timestamps(np.array([later]))[0]
    return row


def _with_extra_rows(rng, rec: _Records, taken, ent: Entities, n_exact: int, n_conflict: int):
    """Copies and conflicting versions of clean rows, scattered through the file."""
    clean = np.flatnonzero(~taken & (rec.updated < config.WINDOW_END_S - config.DAY_S))
    sources = rng.choice(clean, n_exact + n_conflict, replace=False).tolist()
    extras = [list(rec.rows[i]) for i in sources[:n_exact]]
    extras += [
        _conflicting_row(rng, rec.rows[i], ent, int(rec.entity[i]), int(rec.updated[i]))
        for i in sources[n_exact:]
    ]
    slots = rng.integers(0, len(rec.rows) + 1, size=len(extras))
    keys = np.concatenate([2 * np.arange(len(rec.rows)) + 1, 2 * slots])
    every = rec.rows + extras
    return [every[i] for i in np.argsort(keys, kind="stable").tolist()]


def build_clients(rng, defect_rng, ent: Entities, n_rows: int) -> Clients:
    """clients.csv and ground_truth.csv bodies for exactly n_rows rows."""
    rec = _records(rng, ent)
    n_exact, n_conflict = extra_row_counts(n_rows)
    counts, taken = _corrupt_in_place(defect_rng, rec.rows, n_rows)
    rows = _with_extra_rows(defect_rng, rec, taken, ent, n_exact, n_conflict)
    counts.update(
        exact_duplicate_rows=n_exact,
        conflicting_client_id=n_conflict,
        parent_cycles=rec.parent_cycles,
    )
    types = np.where(ent.is_institution, "institution", "individual")
    truth = [
        [row[0], row[1], f"E{e + 1:07d}", str(types[e])]
        for row, e in zip(rec.rows, rec.entity.tolist(), strict=True)
    ]
    return Clients(
        rows, truth, rec.entity, rec.ids, rec.weight, counts, int((ent.parent >= 0).sum())
    )
