"""What is on each invoice: how many lines, which products, what quantities and prices.

Products follow Zipf-like popularity, a favourite category per client and companion products
(so association rules have something to find). A product is only sold between its launch and,
if discontinued, its retirement, and appears at most once per invoice, so that the only identical
lines in the file are the injected duplicates. Quantities make the invoice worth about the value
the spend model drew for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import config, formatting, vocab
from .products import Catalogue

# Pack sizes wholesale buyers order in; larger computed quantities snap to the nearest one.
# fmt: off
_PACKS = np.array([1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 25, 30, 36, 40, 48, 50, 60, 72, 80,
                   96, 100, 120, 144, 150, 160, 192, 200, 240, 250, 288, 300, 360, 384, 400, 480,
                   500, 576, 600, 720, 800, 960, 1000, 1200, 1440, 1500, 2000, 2400, 3000, 4000])
# fmt: on
_RESAMPLE_ROUNDS = 40


@dataclass
class Lines:
    """Invoice lines; `invoice` indexes the invoice arrays of the caller."""

    invoice: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    cents: np.ndarray

    def take(self, index: np.ndarray) -> Lines:
        return Lines(
            self.invoice[index], self.product[index], self.quantity[index], self.cents[index]
        )

    @staticmethod
    def concat(parts: list[Lines]) -> Lines:
        return Lines(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("invoice", "product", "quantity", "cents")
            )
        )


def lines_per_invoice(rng, propensity: np.ndarray, n_lines: int, cap: int) -> np.ndarray:
    """Split n_lines over invoices: one each, the rest by the buyer's basket propensity."""
    weights = propensity * rng.gamma(3.0, 1.0 / 3.0, propensity.size)
    counts = np.ones(propensity.size, dtype=np.int64)
    remaining = n_lines - propensity.size
    while remaining > 0:
        room = counts < cap
        w = np.where(room, weights, 0.0)
        counts += rng.multinomial(remaining, w / w.sum())
        remaining = int(np.maximum(counts - cap, 0).sum())
        counts = np.minimum(counts, cap)
    return counts


def line_index(starts: np.ndarray, counts: np.ndarray, invoices: np.ndarray) -> np.ndarray:
    """All line positions of the given invoices (lines are stored contiguously per invoice)."""
    n = counts[invoices]
    offsets = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    return np.repeat(starts[invoices], n) + offsets


def _draw_products(rng, cat: Catalogue, line_invoice, favourite) -> np.ndarray:
    """Favourite-category or global Zipf draw per line, then companions following their anchor."""
    n = line_invoice.size
    product = rng.choice(cat.n_merch, size=n, p=cat.popularity)
    in_favourite = rng.random(n) < config.FAVOURITE_CATEGORY_SHARE
    merch_category = cat.category[: cat.n_merch]
    for c in range(len(vocab.PRODUCT_CATEGORIES)):
        members = np.flatnonzero(merch_category == c)
        chosen = np.flatnonzero(in_favourite & (favourite == c))
        if members.size and chosen.size:
            p = cat.popularity[members] / cat.popularity[members].sum()
            product[chosen] = members[rng.choice(members.size, size=chosen.size, p=p)]
    anchor = np.concatenate([[-1], product[:-1]])
    same_invoice = np.concatenate([[False], line_invoice[1:] == line_invoice[:-1]])
    companion = cat.companion[np.maximum(anchor, 0)]
    follows = same_invoice & (companion >= 0)
    follows &= rng.random(n) < config.COMPANION_FOLLOW_PROBABILITY
    return np.where(follows, companion, product)


def _invalid(cat: Catalogue, index, line_invoice, product, line_time) -> np.ndarray:
    """Lines (among `index`, whole invoices) whose product is not on sale or already listed."""
    prod, when = product[index], line_time[index]
    bad = (when < cat.launch_s[prod]) | (when > cat.retire_s[prod])
    key = line_invoice[index] * np.int64(len(cat.codes)) + prod
    order = np.argsort(key, kind="stable")
    repeat = np.zeros(index.size, dtype=bool)
    repeat[order[1:]] = key[order[1:]] == key[order[:-1]]
    return index[bad | repeat]


def _fallback(rng, cat: Catalogue, line, starts, counts, line_invoice, product, line_time):
    """Last resort for a line still invalid after resampling: first suitable product, in random
    order, that is on sale and not yet on the invoice."""
    inv = line_invoice[line]
    taken = set(product[starts[inv] : starts[inv] + counts[inv]].tolist())
    candidates = rng.permutation(cat.n_merch)
    on_sale = (cat.launch_s[candidates] <= line_time[line]) & (
        line_time[line] <= cat.retire_s[candidates]
    )
    for pool in (candidates[on_sale], candidates):
        for p in pool.tolist():
            if p not in taken:
                return p
    raise ValueError("an invoice has more lines than the catalogue has products")


def choose_products(rng, cat: Catalogue, line_invoice, counts, favourite, line_time):
    """Products per line, redrawn until every line is on sale and unique within its invoice."""
    starts = np.cumsum(counts) - counts
    product = _draw_products(rng, cat, line_invoice, favourite)
    bad = _invalid(cat, np.arange(line_invoice.size), line_invoice, product, line_time)
    for _ in range(_RESAMPLE_ROUNDS):
        if bad.size == 0:
            return product
        product[bad] = rng.choice(cat.n_merch, size=bad.size, p=cat.popularity)
        touched = line_index(starts, counts, np.unique(line_invoice[bad]))
        bad = _invalid(cat, touched, line_invoice, product, line_time)
    for line in np.sort(bad).tolist():
        product[line] = _fallback(rng, cat, line, starts, counts, line_invoice, product, line_time)
    return product


def _snap_to_packs(rng, quantity: np.ndarray) -> np.ndarray:
    """Most larger quantities are whole packs (12, 24, 48, ...); a few stay as typed."""
    idx = np.clip(np.searchsorted(_PACKS, quantity), 1, _PACKS.size - 1)
    lower, upper = _PACKS[idx - 1], _PACKS[idx]
    nearest = np.where(quantity - lower <= upper - quantity, lower, upper)
    nearest = np.where(quantity > _PACKS[-1], np.rint(quantity / 1000) * 1000, nearest)
    return np.where((quantity > 6) & (rng.random(quantity.size) < 0.8), nearest, quantity)


def quantities_and_prices(rng, cat: Catalogue, line_invoice, product, invoice_value):
    """Integer quantities so that sum(quantity x price) is about the invoice's value, and unit
    prices at list price, with an occasional bulk discount on large quantities."""
    share = rng.gamma(2.0, 1.0, line_invoice.size)
    share /= np.bincount(line_invoice, weights=share)[line_invoice]
    list_price = cat.cents[product] / 100.0
    quantity = np.maximum(1, np.rint(invoice_value[line_invoice] * share / list_price))
    quantity = _snap_to_packs(rng, quantity).astype(np.int64)
    discount = (quantity >= 24) & (rng.random(quantity.size) < 0.4)
    factor = np.where(discount, 1.0 - rng.uniform(0.05, 0.2, quantity.size), 1.0)
    cents = np.maximum(1, formatting.to_cents(cat.cents[product] * factor / 100.0))
    return quantity, cents
