"""Real-world entities: the truth behind the client records.

Each entity is an institution or a person with one canonical set of attributes, a first-purchase
("birth") time, an optional parent company and the number of source records it will appear in.
clients.py then writes those records, with the variation real CRMs add.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import config, contacts, names, vocab
from .geography import COUNTRIES, COUNTRY_WEIGHTS, Phone

SOLE_TRADER_SHARE = 0.04  # people registered for VAT, so with a tax id


@dataclass
class Entities:
    is_institution: np.ndarray  # bool
    country: np.ndarray  # index into COUNTRIES
    city: np.ndarray  # index into the country's cities
    industry: np.ndarray  # index into vocab.INDUSTRIES, -1 for people
    name: list[str]
    first_name: list[str]  # "" for institutions
    last_name: list[str]
    email: list[str]
    phone: list[Phone]
    address: list[str]
    postcode: list[str]
    state: list[str]
    date_of_birth: list[str]  # "" for institutions
    tax_id: list[str]  # institutions, and the few people who trade as sole traders
    annual_revenue: np.ndarray  # NaN for people
    birth_s: np.ndarray  # first purchase, epoch seconds
    parent: np.ndarray  # parent entity index, -1 when none
    n_records: np.ndarray
    namesake_of: np.ndarray  # entity whose name this one shares on purpose, -1 when none

    @property
    def size(self) -> int:
        return int(self.is_institution.size)


def records_per_entity(rng: np.random.Generator, n_records: int) -> np.ndarray:
    """Record counts per entity (mostly 1, a tenth 2-4) adding up to exactly n_records."""
    counts = rng.choice(
        config.RECORDS_PER_DUPLICATED_ENTITY,
        size=n_records,
        p=config.RECORDS_PER_DUPLICATED_ENTITY_WEIGHTS,
    )
    counts = np.where(rng.random(n_records) < config.DUPLICATED_ENTITY_SHARE, counts, 1)
    total = np.cumsum(counts)
    n_entities = int(np.searchsorted(total, n_records)) + 1
    counts = counts[:n_entities].copy()
    counts[-1] -= int(total[n_entities - 1]) - n_records
    return counts


def draw_births(rng: np.random.Generator, n: int) -> np.ndarray:
    """First-purchase times: a block of established clients early on, then fewer and fewer.

    Tenure therefore varies from three years to days, which churn and CLV models need.
    """
    span = config.WINDOW_END_S - config.WINDOW_START_S
    early = rng.random(n) < 0.3
    offset = np.where(early, rng.random(n) * 8 * config.WEEK_S, rng.beta(1.0, 1.6, n) * span)
    # Keep three days of room before the end so a shifted first purchase stays in the window.
    offset = np.minimum(offset, span - 3 * config.DAY_S)
    return config.WINDOW_START_S + offset.astype(np.int64)


def draw_hierarchy(rng: np.random.Generator, is_institution: np.ndarray) -> np.ndarray:
    """Parent entity per entity: 15% of institutions are subsidiaries, in up to three levels.

    Parents of first-level subsidiaries are top-level companies and parents of second-level ones
    are first-level subsidiaries, so the true hierarchy cannot contain a cycle.
    """
    parent = np.full(is_institution.size, -1, dtype=np.int64)
    shuffled = rng.permutation(np.flatnonzero(is_institution))
    n_sub = int(round(config.SUBSIDIARY_SHARE * shuffled.size))
    if n_sub == 0 or n_sub >= shuffled.size:
        return parent
    level2, level1, roots = shuffled[: n_sub // 4], shuffled[n_sub // 4 : n_sub], shuffled[n_sub:]
    parent[level1] = rng.choice(roots, size=level1.size)
    if level2.size:
        parent[level2] = rng.choice(level1, size=level2.size)
    return parent


def pick_namesakes(rng, is_institution: np.ndarray, country: np.ndarray) -> np.ndarray:
    """Hard negatives: ~0.5% of entities take the name of another entity of the same kind,
    from the same country where there is one (two "John Smith"s in different UK cities)."""
    n = is_institution.size
    namesake_of = np.full(n, -1, dtype=np.int64)
    k = int(round(config.NAMESAKE_SHARE * n))
    order = rng.permutation(n)
    takers, donors = order[:k], order[k:]
    for taker in takers.tolist():
        same_kind = donors[is_institution[donors] == is_institution[taker]]
        local = same_kind[country[same_kind] == country[taker]]
        pool = local if local.size else same_kind
        if pool.size:
            namesake_of[taker] = pool[rng.integers(pool.size)]
    return namesake_of


def _scatter(n: int, *parts: tuple[np.ndarray, list[str]]) -> list[str]:
    """A per-entity list from (indices, values) parts; entities in no part get ""."""
    out = [""] * n
    for idx, values in parts:
        for i, v in zip(idx.tolist(), values, strict=True):
            out[i] = v
    return out


def _take(values: list[str], idx: np.ndarray) -> list[str]:
    return [values[i] for i in idx.tolist()]


def _names(rng, is_inst, country, industry):
    """Unique names, then the deliberate namesakes copied over."""
    inst, pers = np.flatnonzero(is_inst), np.flatnonzero(~is_inst)
    first, last, full = names.person_names(rng, country[pers])
    companies = names.company_names(rng, industry[inst], country[inst])
    n = is_inst.size
    full = _scatter(n, (inst, companies), (pers, full))
    first, last = _scatter(n, (pers, first)), _scatter(n, (pers, last))
    namesake_of = pick_namesakes(rng, is_inst, country)
    for taker in np.flatnonzero(namesake_of >= 0).tolist():
        donor = int(namesake_of[taker])
        full[taker], first[taker], last[taker] = full[donor], first[donor], last[donor]
    return full, first, last, namesake_of


def _emails(rng, is_inst, full, first, last, country, city) -> list[str]:
    inst, pers = np.flatnonzero(is_inst), np.flatnonzero(~is_inst)
    companies = contacts.institution_emails(rng, _take(full, inst), country[inst], city[inst])
    people = contacts.person_emails(rng, _take(first, pers), _take(last, pers), country[pers])
    return _scatter(is_inst.size, (inst, companies), (pers, people))


def build_entities(rng: np.random.Generator, n_records: int) -> Entities:
    """Draw every entity with its canonical attributes, before any record-level noise."""
    counts = records_per_entity(rng, n_records)
    n = counts.size
    is_inst = rng.random(n) < config.INSTITUTION_SHARE
    country = rng.choice(len(COUNTRIES), size=n, p=COUNTRY_WEIGHTS)
    n_cities = np.array([len(c.cities) for c in COUNTRIES])
    city = (rng.random(n) * n_cities[country]).astype(np.int64)
    industry = np.where(
        is_inst, rng.choice(len(vocab.INDUSTRIES), size=n, p=vocab.INDUSTRY_WEIGHTS), -1
    )
    full, first, last, namesake_of = _names(rng, is_inst, country, industry)
    email = _emails(rng, is_inst, full, first, last, country, city)
    pers = np.flatnonzero(~is_inst)
    address, postcode, state = contacts.addresses(rng, country, city, ~is_inst)
    taxed = np.flatnonzero(is_inst | (rng.random(n) < SOLE_TRADER_SHARE))
    revenue = np.round(rng.lognormal(np.log(2.5e6), 1.4, size=n).clip(5e4, 5e10), 2)
    return Entities(
        is_institution=is_inst,
        country=country,
        city=city,
        industry=industry,
        name=full,
        first_name=first,
        last_name=last,
        email=email,
        phone=contacts.phones(rng, country, city),
        address=address,
        postcode=postcode,
        state=state,
        date_of_birth=_scatter(n, (pers, contacts.dates_of_birth(rng, pers.size))),
        tax_id=_scatter(n, (taxed, contacts.tax_ids(rng, country[taxed]))),
        annual_revenue=np.where(is_inst, revenue, np.nan),
        birth_s=draw_births(rng, n),
        parent=draw_hierarchy(rng, is_inst),
        n_records=counts,
        namesake_of=namesake_of,
    )
