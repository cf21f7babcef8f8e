"""Invoice lines: the simulated purchases as a till export, cancellations and defects included.

The line budget M is split up front: clean product lines, non-product lines (postage, fees, ...),
cancellation lines and exact duplicates add up to exactly M; the other defects damage existing
lines in place, each on its own set of lines so that every count in the manifest can be
recounted from the file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import baskets, config, formatting, vocab
from .baskets import Lines
from .clients import Clients
from .entities import Entities
from .geography import COUNTRIES
from .products import Catalogue, messy_description
from .purchases import Purchases

TRANSACTION_COLUMNS = (
    "invoice_no",
    "stock_code",
    "description",
    "quantity",
    "unit_price",
    "invoice_date",
    "client_id",
    "country",
)
_REGULAR, _NON_PRODUCT, _CANCELLATION = 0, 1, 2
# Expected share of an invoice's lines that a cancellation takes back (half all, half 1..n).
_CANCELLED_LINE_SHARE = 0.75


@dataclass
class Budget:
    clean: int
    non_product: int
    cancellation: int
    duplicate: int


@dataclass
class Transactions:
    """transactions.csv as arrays: lines in file order, invoice-level text, per-line overrides."""

    lines: Lines
    invoice_no: np.ndarray
    invoice_date: np.ndarray
    client_id: np.ndarray
    country: np.ndarray
    overrides: dict[str, tuple[np.ndarray, list[str]]]  # column -> (sorted line positions, text)
    defects: dict[str, int]
    summary: dict[str, float]


def line_budget(n_lines: int) -> Budget:
    rates = config.LINE_DEFECT_RATES
    duplicate = config.defect_count(rates["exact_duplicate_rows"], n_lines)
    non_product = config.defect_count(rates["non_product_lines"], n_lines)
    share = config.CANCELLED_INVOICE_SHARE * _CANCELLED_LINE_SHARE
    clean = int((n_lines - duplicate - non_product) / (1 + share))
    return Budget(clean, non_product, n_lines - duplicate - non_product - clean, duplicate)


def target_invoices(n_lines: int) -> int:
    """Invoices to simulate so that the clean lines make baskets of about eight lines."""
    return max(1, int(line_budget(n_lines).clean / config.MEAN_BASKET_LINES))


def _attribute(rng, entity: np.ndarray, clients: Clients, n_entities: int) -> np.ndarray:
    """Record each invoice is booked under: one of the entity's records, by record weight."""
    order = np.argsort(clients.record_entity, kind="stable")
    weight = clients.record_weight[order]
    totals = np.bincount(clients.record_entity[order], weights=weight, minlength=n_entities)
    cumulative = np.cumsum(weight / totals[clients.record_entity[order]])
    pick = np.searchsorted(cumulative, entity + rng.random(entity.size) * 0.999999, side="right")
    return order[np.minimum(pick, order.size - 1)]


def _non_product_lines(rng, cat: Catalogue, n_invoices: int, n: int) -> Lines:
    """Postage, fees, manual lines and vouchers, at most one per invoice, quantity 1."""
    shares = np.array([c[3] for c in vocab.NON_PRODUCT_CODES])
    code = rng.choice(shares.size, size=n, p=shares / shares.sum())
    product = cat.n_merch + code
    variable = np.isin(
        np.array([c[0] for c in vocab.NON_PRODUCT_CODES])[code], vocab.VARIABLE_PRICE_CODES
    )
    amount = cat.cents[product] / 100.0 * np.where(variable, rng.lognormal(0, 0.5, n), 1.0)
    invoice = np.sort(rng.choice(n_invoices, size=n, replace=n > n_invoices))
    return Lines(
        invoice, product, np.ones(n, dtype=np.int64), np.maximum(1, formatting.to_cents(amount))
    )


def _cancellations(rng, lines: Lines, counts, time_s, n_cancel: int):
    """Cancellation invoices taking back 1..all lines of ~1.5% of invoices, days later.

    Returns the cancellation lines (invoice = index among the new invoices), the cancelled
    invoice of each new invoice, its time, the original lines taken back and their positions.
    """
    starts = np.cumsum(counts) - counts
    if n_cancel == 0:
        nothing = np.zeros(0, dtype=np.int64)
        return lines.take(nothing), nothing, nothing, nothing, nothing
    room = np.flatnonzero(time_s < config.WINDOW_END_S - 3600)
    chosen = rng.permutation(room)
    size = counts[chosen]
    take = np.where(
        rng.random(size.size) < 0.5, size, 1 + (rng.random(size.size) * size).astype(np.int64)
    )
    n_chosen = int(np.searchsorted(np.cumsum(take), n_cancel)) + 1
    chosen, take = chosen[:n_chosen], take[:n_chosen].copy()
    take[-1] -= int(take.sum()) - n_cancel
    line_idx = baskets.line_index(starts, counts, chosen)
    owner = np.repeat(np.arange(chosen.size), counts[chosen])
    rank = np.empty(line_idx.size, dtype=np.int64)
    order = np.lexsort((rng.random(line_idx.size), owner))
    rank[order] = np.arange(order.size) - np.repeat(
        np.cumsum(counts[chosen]) - counts[chosen], counts[chosen]
    )
    keep = rank < take[owner]
    taken_back = line_idx[keep]
    cancel = lines.take(taken_back)
    cancel.invoice = owner[keep]
    cancel.quantity = -cancel.quantity
    delay = 3600 + rng.exponential(4 * config.DAY_S, chosen.size)
    gap = config.WINDOW_END_S - time_s[chosen]
    delay = np.where(delay > gap, rng.random(chosen.size) * gap, delay).astype(np.int64)
    position = taken_back - starts[chosen][owner[keep]]
    return cancel, chosen, time_s[chosen] + delay, taken_back, position


@dataclass
class _Draft:
    """All lines in file order with what the defect steps need to know about them."""

    lines: Lines
    kind: np.ndarray  # _REGULAR, _NON_PRODUCT or _CANCELLATION
    taken_back: np.ndarray  # regular line that a cancellation reverses
    entity: np.ndarray  # per invoice (regular invoices first, then cancellations)
    time_s: np.ndarray
    record: np.ndarray
    origin: np.ndarray  # cancelled invoice of each cancellation invoice, -1 for regular ones
    number: np.ndarray  # rank of each invoice by time: invoice_no = first number + rank


def _simulated_invoices(rng, purchases: Purchases, budget: Budget):
    """The simulated invoices, subsampled if there are more of them than clean lines."""
    n = purchases.entity.size
    keep = np.arange(n)
    if n > budget.clean:
        keep = np.sort(rng.choice(n, size=budget.clean, replace=False))
    return purchases.entity[keep], purchases.time_s[keep], purchases.value[keep]


def _basket_cap(cat: Catalogue, n_clean: int, n_invoices: int) -> int:
    cap = max(min(200, cat.n_merch // 3), int(np.ceil(1.5 * n_clean / n_invoices)))
    if cap > cat.n_merch // 2:
        raise ValueError("too many lines per invoice for the catalogue; raise --products")
    return cap


def _regular_lines(rng, purchases, ent: Entities, cat: Catalogue, budget: Budget):
    entity, time_s, value = _simulated_invoices(rng, purchases, budget)
    propensity = rng.gamma(2.0, 1.0, ent.size) * np.where(ent.is_institution, 1.8, 1.0)
    cap = _basket_cap(cat, budget.clean, entity.size)
    counts = baskets.lines_per_invoice(rng, propensity[entity], budget.clean, cap)
    line_invoice = np.repeat(np.arange(entity.size), counts)
    favourite = rng.choice(
        len(vocab.PRODUCT_CATEGORIES), size=ent.size, p=vocab.PRODUCT_CATEGORY_WEIGHTS
    )
    product = baskets.choose_products(
        rng, cat, line_invoice, counts, favourite[entity[line_invoice]], time_s[line_invoice]
    )
    quantity, cents = baskets.quantities_and_prices(rng, cat, line_invoice, product, value)
    return Lines(line_invoice, product, quantity, cents), counts, entity, time_s


def _draft(rng, purchases, ent, clients, cat, budget) -> _Draft:
    """Regular, non-product and cancellation lines, sorted into file order."""
    regular, counts, entity, time_s = _regular_lines(rng, purchases, ent, cat, budget)
    n_inv = entity.size
    extra = _non_product_lines(rng, cat, n_inv, budget.non_product)
    cancel, origin, cancel_time, taken_back, cancel_pos = _cancellations(
        rng, regular, counts, time_s, budget.cancellation
    )
    cancel.invoice = cancel.invoice + n_inv
    record = _attribute(rng, entity, clients, ent.size)
    inv_time = np.concatenate([time_s, cancel_time])
    number = np.empty(inv_time.size, dtype=np.int64)
    number[np.lexsort((np.arange(inv_time.size), inv_time))] = np.arange(inv_time.size)
    lines = Lines.concat([regular, extra, cancel])
    position = np.concatenate(
        [
            np.arange(regular.invoice.size) - np.repeat(np.cumsum(counts) - counts, counts),
            counts[extra.invoice],
            cancel_pos,
        ]
    )
    kind = np.repeat(
        [_REGULAR, _NON_PRODUCT, _CANCELLATION],
        [regular.invoice.size, extra.invoice.size, cancel.invoice.size],
    )
    back = np.zeros(lines.invoice.size, dtype=bool)
    back[taken_back] = True
    order = np.lexsort((position, number[lines.invoice]))
    return _Draft(
        lines.take(order),
        kind[order],
        back[order],
        np.concatenate([entity, entity[origin]]),
        inv_time,
        np.concatenate([record, record[origin]]),
        np.concatenate([np.full(n_inv, -1), origin]),
        number,
    )


def _blank_clients(rng, draft: _Draft, target: int) -> np.ndarray:
    """Invoices booked without a client (guest checkouts): whole invoices, with their
    cancellations, until about `target` lines have no client_id."""
    n_inv = draft.time_s.size
    per_invoice = np.bincount(draft.lines.invoice, minlength=n_inv)
    regular = np.flatnonzero(draft.origin < 0)
    with_cancel = per_invoice.copy()
    cancels = np.flatnonzero(draft.origin >= 0)
    np.add.at(with_cancel, draft.origin[cancels], per_invoice[cancels])
    chosen = rng.permutation(regular)
    n = int(np.searchsorted(np.cumsum(with_cancel[chosen]), target)) + 1
    blank = np.zeros(n_inv, dtype=bool)
    blank[chosen[:n]] = True
    blank[cancels] = blank[draft.origin[cancels]]
    return blank


def _invalid_date(stamp: str, u: float) -> str:
    y, m, d, hh, mi = stamp[:4], stamp[5:7], stamp[8:10], stamp[11:13], stamp[14:16]
    options = (
        f"{d}/{m}/{y} {hh}:{mi}",
        "not a date",
        f"{y}-13-45 {hh}:{mi}:00",
        f"31/02/{y}",
        f"{y}-02-30 {hh}:{mi}:00",
    )
    return options[int(u * len(options))]


def _unknown_codes(rng, cat: Catalogue, n: int) -> list[str]:
    """Stock codes that look real but are not in the product master."""
    known, out = set(cat.codes), []
    while len(out) < n:
        letter = "" if rng.random() < 0.6 else "XYZ"[rng.integers(3)]
        code = f"{rng.integers(10_000, 100_000)}{letter}"
        if code not in known:
            known.add(code)
            out.append(code)
    return out


def _line_defect_text(rng, defect: str, lines: Lines, idx: np.ndarray, cat, stamps) -> list[str]:
    """Replacement text for the lines of one in-place defect."""
    u = rng.random(idx.size)
    product, cents = lines.product[idx], lines.cents[idx]
    if defect == "non_positive_unit_price":
        return ["0.00" if x < 0.6 else t for x, t in zip(u, formatting.money(-cents), strict=True)]
    if defect == "invalid_unit_price":
        prices = formatting.money(cents)
        return [
            ("N/A", p.replace(".", ","), f"£{p}", "abc")[int(x * 4)]
            for x, p in zip(u, prices, strict=True)
        ]
    if defect == "invalid_quantity":
        return [
            ("abc", "1.5e", "", "twelve", f"{q} pcs")[int(x * 5)]
            for x, q in zip(u, lines.quantity[idx].tolist(), strict=True)
        ]
    if defect == "invalid_invoice_date":
        return [_invalid_date(stamps[i], x) for i, x in zip(lines.invoice[idx], u, strict=True)]
    if defect == "unknown_stock_code":
        return _unknown_codes(rng, cat, idx.size)
    if defect == "messy_description":
        return [messy_description(cat.descriptions[p], x) for p, x in zip(product, u, strict=True)]
    return ["?" if x < 0.8 else "??" for x in u]  # question_mark_description


_OVERRIDDEN_COLUMN = {
    "non_positive_unit_price": "unit_price",
    "invalid_unit_price": "unit_price",
    "invalid_quantity": "quantity",
    "invalid_invoice_date": "invoice_date",
    "unknown_stock_code": "stock_code",
    "messy_description": "description",
    "question_mark_description": "description",
}


def _damage_lines(rng, draft: _Draft, cat: Catalogue, n_lines: int, stamps, blank):
    """In-place line defects on disjoint sets of plain product lines; returns overrides, counts
    and the lines touched.

    Lines without a client are left alone, so each damaged line has exactly one reject reason
    whatever order a staging layer checks them in.
    """
    rates = config.LINE_DEFECT_RATES
    eligible = np.flatnonzero(
        (draft.kind == _REGULAR)
        & ~draft.taken_back
        & ~blank[draft.lines.invoice]
        & ~cat.placeholder()[draft.lines.product]
    )
    pool = rng.permutation(eligible)
    overrides: dict[str, tuple[list[int], list[str]]] = {}
    counts, start = {}, 0
    for defect in (*_OVERRIDDEN_COLUMN, "negative_quantity_without_cancellation"):
        k = min(config.defect_count(rates[defect], n_lines), pool.size - start)
        idx = np.sort(pool[start : start + k])
        start += k
        counts[defect] = int(k)
        if defect == "negative_quantity_without_cancellation":
            draft.lines.quantity[idx] = -draft.lines.quantity[idx]
            continue
        positions, texts = overrides.setdefault(_OVERRIDDEN_COLUMN[defect], ([], []))
        positions.extend(idx.tolist())
        texts.extend(_line_defect_text(rng, defect, draft.lines, idx, cat, stamps))
    touched = np.zeros(draft.kind.size, dtype=bool)
    touched[pool[:start]] = True
    return overrides, counts, touched


def _duplicate_lines(rng, draft: _Draft, clean: np.ndarray, n: int, overrides):
    """Copy n clean lines, each right after its original, and shift the overrides to match."""
    sources = rng.choice(np.flatnonzero(clean), size=n, replace=False)
    repeats = np.ones(draft.kind.size, dtype=np.int64)
    repeats[sources] = 2
    shift = np.cumsum(repeats) - repeats  # new position of each old line
    lines = draft.lines.take(np.repeat(np.arange(repeats.size), repeats))
    moved = {}
    for column, (positions, texts) in overrides.items():
        order = np.argsort(positions, kind="stable")
        moved[column] = (shift[np.asarray(positions)[order]], [texts[i] for i in order])
    return lines, moved


def build_transactions(
    rng,
    defect_rng,
    purchases: Purchases,
    ent: Entities,
    clients: Clients,
    cat: Catalogue,
    n_lines: int,
) -> Transactions:
    """Exactly n_lines invoice lines with every defect counted."""
    budget = line_budget(n_lines)
    draft = _draft(rng, purchases, ent, clients, cat, budget)
    stamps = formatting.timestamps(draft.time_s)
    blank = _blank_clients(
        defect_rng, draft, int(config.LINE_DEFECT_RATES["missing_client_id"] * n_lines)
    )
    overrides, counts, touched = _damage_lines(defect_rng, draft, cat, n_lines, stamps, blank)
    clean = (draft.kind == _REGULAR) & ~touched & ~blank[draft.lines.invoice]
    lines, overrides = _duplicate_lines(defect_rng, draft, clean, budget.duplicate, overrides)
    is_cancel = draft.origin >= 0
    numbers = (config.FIRST_INVOICE_NUMBER + draft.number).astype(str).astype(object)
    record_ids = np.array(clients.record_id, dtype=object)
    names = np.array([c.name for c in COUNTRIES], dtype=object)
    defects = {
        "missing_client_id": int(blank[lines.invoice].sum()),
        "exact_duplicate_rows": budget.duplicate,
        **{
            k: counts[k]
            for k in (
                "non_positive_unit_price",
                "invalid_invoice_date",
                "invalid_quantity",
                "invalid_unit_price",
            )
        },
        "non_product_lines": budget.non_product,
        **{
            k: counts[k]
            for k in ("unknown_stock_code", "messy_description", "question_mark_description")
        },
        "cancellation_lines": budget.cancellation,
        "negative_quantity_without_cancellation": counts["negative_quantity_without_cancellation"],
    }
    summary = {
        "invoices": int((~is_cancel).sum()),
        "cancelled_invoices": int(is_cancel.sum()),
        "simulated_invoices": int(purchases.entity.size),
        "mean_lines_per_invoice": round(float(budget.clean / max(1, (~is_cancel).sum())), 3),
    }
    return Transactions(
        lines=lines,
        invoice_no=np.where(is_cancel, "C" + numbers, numbers),
        invoice_date=stamps,
        client_id=np.where(blank, "", record_ids[draft.record]),
        country=names[ent.country[draft.entity]],
        overrides=overrides,
        defects=defects,
        summary=summary,
    )
