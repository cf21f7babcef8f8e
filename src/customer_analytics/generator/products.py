"""The product master: Online-Retail-like merchandise plus the non-product codes, then defects.

Besides the rows of products.csv this returns what the purchase simulation needs and the file does
not show: true list prices, when each product can be sold (launch, and retirement of discontinued
ones), Zipf-like popularity and companion products that make association rules learnable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import config, formatting, vocab
from .names import unique_strings

PRODUCT_COLUMNS = ("stock_code", "description", "category", "unit_price", "launch_date", "status")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LAUNCH_FROM = int(np.datetime64("2018-01-01T00:00:00", "s").astype(np.int64))
_LAUNCH_SPLIT = config.WINDOW_START_S
_LAUNCH_TO = int(np.datetime64("2025-10-01T00:00:00", "s").astype(np.int64))


@dataclass
class Catalogue:
    """Merchandise first (indices 0..n_merch-1), then the non-product codes."""

    codes: list[str]
    descriptions: list[str]  # as written in products.csv and on invoice lines
    category: np.ndarray  # index into vocab.PRODUCT_CATEGORIES, -1 for non-product codes
    cents: np.ndarray  # true list price
    launch_s: np.ndarray
    retire_s: np.ndarray  # last moment a discontinued product sells; after the window if active
    popularity: np.ndarray  # selection weight of each merchandise product
    companion: np.ndarray  # product that tends to follow this one on an invoice, -1 if none
    n_merch: int
    rows: list[list[str]]
    defects: dict[str, int]

    def placeholder(self) -> np.ndarray:
        """Products whose description is the '?' placeholder."""
        return np.array([d in ("?", "??") for d in self.descriptions])


def _group_sizes(rng, n: int) -> np.ndarray:
    """Products come in colour-variant families (85123A, 85123B) or alone; sizes add up to n."""
    sizes = rng.choice([1, 2, 3, 4], size=n, p=[0.8, 0.1, 0.07, 0.03])
    total = np.cumsum(sizes)
    k = int(np.searchsorted(total, n)) + 1
    sizes = sizes[:k].copy()
    sizes[-1] -= int(total[k - 1]) - n
    return sizes


def _stock_codes(rng, sizes: np.ndarray) -> list[str]:
    bases = rng.choice(np.arange(20_000, 90_000), size=sizes.size, replace=False)
    lone_letter = rng.random(sizes.size) < 0.15
    letters = rng.integers(len(_LETTERS), size=sizes.size)
    codes = []
    for base, size, lone, letter in zip(bases, sizes, lone_letter, letters, strict=True):
        if size == 1:
            codes.append(f"{base}{_LETTERS[letter]}" if lone else str(base))
        else:
            codes.extend(f"{base}{_LETTERS[v]}" for v in range(size))
    return codes


def _descriptions(rng, category: np.ndarray, item: np.ndarray) -> list[str]:
    """'WHITE HANGING HEART T-LIGHT HOLDER'-style descriptions, unique across products."""

    def make(idx: np.ndarray, attempt: int) -> list[str]:
        u = rng.random((idx.size, 7))
        out = []
        for k, i in enumerate(idx.tolist()):
            words = []
            if u[k, 0] < 0.12:
                words.append(f"SET OF {(3, 4, 6, 12)[int(u[k, 1] * 4)]}")
            colour = u[k, 2] < 0.55
            if colour:
                words.append(vocab.PRODUCT_COLOURS[int(u[k, 3] * len(vocab.PRODUCT_COLOURS))])
            if not colour or u[k, 4] < 0.8:
                words.append(vocab.PRODUCT_STYLES[int(u[k, 5] * len(vocab.PRODUCT_STYLES))])
            words.append(vocab.PRODUCT_ITEMS[category[i]][item[i]])
            size = vocab.PRODUCT_SIZES[int(u[k, 6] * 4)] if u[k, 6] < 0.12 + 0.2 * attempt else ""
            out.append(" ".join(words) + size)
        return out

    return unique_strings(category.size, make)


def _list_prices(rng, category: np.ndarray, family: np.ndarray) -> np.ndarray:
    """Lognormal list prices around each category's median, mostly on 5p steps."""
    median = np.asarray(vocab.CATEGORY_MEDIAN_PRICE)[category]
    price = np.clip(median * rng.lognormal(0.0, 0.6, size=category.size), 0.19, 150.0)
    cents = formatting.to_cents(price)
    cents = np.where(rng.random(cents.size) < 0.7, np.maximum(5, cents // 5 * 5), cents)
    return cents[family]  # colour variants share the family's price


def _availability(rng, n: int, family: np.ndarray):
    """Launch time, retirement time and discontinued flag; a third launch inside the window."""
    late = rng.random(n) < 0.35
    launch = np.where(
        late,
        _LAUNCH_SPLIT + rng.random(n) * (_LAUNCH_TO - _LAUNCH_SPLIT),
        _LAUNCH_FROM + rng.random(n) * (_LAUNCH_SPLIT - _LAUNCH_FROM),
    ).astype(np.int64)
    launch = launch[family] // config.DAY_S * config.DAY_S
    discontinued = rng.random(n) < 0.10
    start = np.maximum(launch, config.WINDOW_START_S) + 30 * config.DAY_S
    retire = np.where(
        discontinued, start + rng.random(n) * (config.WINDOW_END_S - start), config.WINDOW_END_S + 1
    ).astype(np.int64)
    return launch, retire, discontinued


def _companions(rng, category: np.ndarray) -> np.ndarray:
    """A third of products get a companion, mostly from the same category (cups -> saucers)."""
    n = category.size
    companion = np.full(n, -1, dtype=np.int64)
    for i in np.flatnonzero(rng.random(n) < config.COMPANION_PRODUCT_SHARE).tolist():
        pool = np.flatnonzero(category == category[i]) if rng.random() < 0.7 else np.arange(n)
        pool = pool[pool != i]
        if pool.size:
            companion[i] = pool[rng.integers(pool.size)]
    return companion


def messy_description(text: str, u: float) -> str:
    """The description as typed by hand: wrong case, stray or doubled spaces."""
    options = (
        f"  {text.lower()}  ",
        text.capitalize(),
        text.title(),
        f" {text}",
        text.replace(" ", "  ", 1).lower(),
        f"{text.capitalize()} ",
    )
    choice = options[int(u * len(options))]
    return choice if choice != text else f"{text} "


def _merchandise(rng, n: int):
    sizes = _group_sizes(rng, n)
    family = np.repeat(np.arange(sizes.size), sizes)
    category = rng.choice(
        len(vocab.PRODUCT_CATEGORIES), size=sizes.size, p=vocab.PRODUCT_CATEGORY_WEIGHTS
    )[family]
    n_items = np.array([len(items) for items in vocab.PRODUCT_ITEMS])
    item = (rng.random(sizes.size) * n_items[category[np.cumsum(sizes) - 1]]).astype(int)[family]
    codes = _stock_codes(rng, sizes)
    descriptions = _descriptions(rng, category, item)
    cents = _list_prices(rng, category[np.cumsum(sizes) - 1], family)
    launch, retire, discontinued = _availability(rng, n, family)
    return codes, descriptions, category, cents, launch, retire, discontinued


def _mess_up(rng, descriptions: list[str]) -> dict[str, int]:
    """Hand-typed descriptions on ~5% of products and the '?' placeholder on ~1%, disjoint."""
    rates = config.PRODUCT_DEFECT_RATES
    n_messy = config.defect_count(rates["messy_description"], len(descriptions))
    n_unknown = config.defect_count(rates["question_mark_description"], len(descriptions))
    chosen = rng.choice(len(descriptions), n_messy + n_unknown, replace=False).tolist()
    for i in chosen[:n_messy]:
        descriptions[i] = messy_description(descriptions[i], rng.random())
    for i in chosen[n_messy:]:
        descriptions[i] = "?" if rng.random() < 0.7 else "??"
    return {"messy_description": n_messy, "question_mark_description": n_unknown}


def _invalid_price(cents: int, u: float) -> str:
    text = formatting.money(np.array([cents]))[0]
    return ("abc", text.replace(".", ","), "N/A", f"£{text}")[int(u * 4)]


def _non_positive_price(cents: int, u: float) -> str:
    return "0.00" if u < 0.6 else formatting.money(np.array([-cents]))[0]


def _invalid_date(date: str, u: float) -> str:
    y, m, d = date.split("-")
    return (f"{d}/{m}/{y}", "unknown", f"{y}-02-30", f"{y}-13-01")[int(u * 4)]


def _conflicting_row(rng, row: list[str], clean_description: str, cents: int) -> list[str]:
    """An outdated second entry for the same stock_code: other wording, price and launch date.

    Its launch date is earlier, so a "latest launch wins" rule keeps the true entry.
    """
    words = clean_description.split()
    colours = [c for c in vocab.PRODUCT_COLOURS if c != words[0]]
    colour = colours[rng.integers(len(colours))]
    description = " ".join(
        [colour, *words[1:]] if words[0] in vocab.PRODUCT_COLOURS else [colour, *words]
    )
    price = formatting.money(np.array([int(cents * rng.uniform(1.1, 1.4))]))[0]
    launch = np.datetime64(row[4]) - np.timedelta64(int(rng.integers(30, 700)), "D")
    return [row[0], description, row[2], price, str(launch), row[5]]


def _catalogue_rows(cat: Catalogue, discontinued: np.ndarray) -> list[list[str]]:
    categories = [vocab.PRODUCT_CATEGORIES[c] if c >= 0 else "" for c in cat.category.tolist()]
    status = ["discontinued" if d else "active" for d in discontinued.tolist()]
    rows = [
        list(r)
        for r in zip(
            cat.codes,
            cat.descriptions,
            categories,
            formatting.money(cat.cents),
            formatting.dates(cat.launch_s),
            status,
            strict=True,
        )
    ]
    return rows


def _corrupt(rng, rows, cat: Catalogue, clean: list[str]) -> tuple[list[list[str]], dict]:
    """In-place price and date defects, then duplicate and conflicting rows placed after their
    source (so "first copy" is the original); merchandise rows only."""
    rates, n = config.PRODUCT_DEFECT_RATES, cat.n_merch
    order = rng.permutation(n).tolist()
    plan = (
        ("invalid_unit_price", 3, _invalid_price),
        ("non_positive_unit_price", 3, _non_positive_price),
        ("invalid_launch_date", 4, _invalid_date),
    )
    counts, start = {}, 0
    for defect, column, corrupt in plan:
        k = config.defect_count(rates[defect], n)
        for i in order[start : start + k]:
            value = cat.cents[i] if column == 3 else rows[i][column]
            rows[i][column] = corrupt(value, rng.random())
        counts[defect], start = k, start + k
    n_dup = config.defect_count(rates["exact_duplicate_rows"], n)
    n_conflict = config.defect_count(rates["conflicting_stock_code"], n)
    sources = order[start : start + n_dup + n_conflict]
    extras = [list(rows[i]) for i in sources[:n_dup]]
    extras += [_conflicting_row(rng, rows[i], clean[i], int(cat.cents[i])) for i in sources[n_dup:]]
    counts.update(exact_duplicate_rows=n_dup, conflicting_stock_code=n_conflict)
    return _insert_after(rng, rows, sources, extras, cat.codes), counts


def _insert_after(rng, rows, sources, extras, codes) -> list[list[str]]:
    """Sort the catalogue by stock_code and drop each extra row somewhere after its source."""
    position = np.argsort(np.array(codes), kind="stable")
    rank = np.empty_like(position)
    rank[position] = np.arange(position.size)
    src_rank = rank[np.asarray(sources, dtype=np.int64)]
    slots = src_rank + 1 + (rng.random(len(extras)) * (len(rows) - src_rank)).astype(np.int64)
    keys = np.concatenate([2 * rank + 1, 2 * slots])
    every = rows + extras
    return [every[i] for i in np.argsort(keys, kind="stable").tolist()]


def build_catalogue(rng, defect_rng, n_products: int) -> Catalogue:
    """n_products merchandise products plus the non-product codes, and products.csv rows."""
    codes, clean, category, cents, launch, retire, discontinued = _merchandise(rng, n_products)
    descriptions = list(clean)
    defects = _mess_up(defect_rng, descriptions)
    n_np = len(vocab.NON_PRODUCT_CODES)
    popularity = 1.0 / (rng.permutation(n_products) + 1.0)  # Zipf, exponent 1
    cat = Catalogue(
        codes=codes + [c[0] for c in vocab.NON_PRODUCT_CODES],
        descriptions=descriptions + [c[1] for c in vocab.NON_PRODUCT_CODES],
        category=np.concatenate([category, np.full(n_np, -1)]),
        cents=np.concatenate([cents, formatting.to_cents([c[2] for c in vocab.NON_PRODUCT_CODES])]),
        launch_s=np.concatenate([launch, np.full(n_np, _LAUNCH_FROM)]),
        retire_s=np.concatenate([retire, np.full(n_np, config.WINDOW_END_S + 1)]),
        popularity=popularity / popularity.sum(),
        companion=_companions(rng, category),
        n_merch=n_products,
        rows=[],
        defects={},
    )
    rows = _catalogue_rows(cat, np.concatenate([discontinued, np.zeros(n_np, dtype=bool)]))
    cat.rows, counts = _corrupt(defect_rng, rows, cat, clean)
    cat.defects = {k: {**counts, **defects}[k] for k in config.PRODUCT_DEFECT_RATES}
    return cat
