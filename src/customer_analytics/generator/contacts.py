"""Strong identifiers of an entity: e-mail, phone, address and postcode, tax id, date of birth.

A matcher links records through these, so e-mail, phone and tax id are unique per real-world
entity (a namesake gets its own), while addresses may coincide as they do between real tenants.
"""

from __future__ import annotations

import re

import numpy as np

from . import vocab
from .addresses import make_address
from .config import WINDOW_END_S
from .geography import COUNTRIES, Phone, draw_phone, fill_pattern
from .names import ascii_slug, unique_strings

_FILLER_WORDS = {"the", "and", "societe"}


def _domain_core(name: str, country: int) -> str:
    """'brenwicklogistics' from 'Brenwick Logistics Ltd': the name without filler and legal form."""
    for form in COUNTRIES[country].legal_forms:
        if name.endswith(" " + form):
            name = name[: -len(form) - 1]
            break
    words = [ascii_slug(w) for w in re.split(r"[\s&]+", name)]
    return "".join([w for w in words if w and w not in _FILLER_WORDS][:2])


def institution_emails(
    rng: np.random.Generator, names: list[str], countries: np.ndarray, cities: np.ndarray
) -> list[str]:
    """role@domain, e.g. accounts@brenwicklogistics.co.uk; one domain per company."""
    cores = [_domain_core(n, int(c)) for n, c in zip(names, countries, strict=True)]

    def make(idx: np.ndarray, attempt: int) -> list[str]:
        u = rng.random((idx.size, 2))
        out = []
        for k, i in enumerate(idx.tolist()):
            spec = COUNTRIES[int(countries[i])]
            tld = spec.tld if u[k, 0] < 0.7 else "com"
            if attempt == 0:
                out.append(f"{cores[i]}.{tld}")
            elif attempt == 1:
                city = ascii_slug(spec.cities[int(cities[i])].name)
                out.append(f"{cores[i]}-{city}.{tld}")
            else:
                # Numbered domains; every 20 rounds the numbers get ten times as many (a million
                # clients hold more same-named companies than 2..99 can tell apart).
                span = 98 * 10 ** ((attempt - 2) // 20)
                out.append(f"{cores[i]}{2 + int(u[k, 1] * span)}.{tld}")
        return out

    domains = unique_strings(len(names), make)
    roles = rng.integers(len(vocab.ROLE_MAILBOXES), size=len(names))
    return [f"{vocab.ROLE_MAILBOXES[r]}@{d}" for r, d in zip(roles, domains, strict=True)]


def person_emails(
    rng: np.random.Generator, first: list[str], last: list[str], countries: np.ndarray
) -> list[str]:
    """first.last@provider and the other local parts people choose; unique per person."""
    firsts = [ascii_slug(f) for f in first]
    lasts = [ascii_slug(s) for s in last]

    def make(idx: np.ndarray, attempt: int) -> list[str]:
        u = rng.random((idx.size, 3))
        out = []
        for k, i in enumerate(idx.tolist()):
            f, s = firsts[i], lasts[i]
            local = (f"{f}.{s}", f"{f}{s}", f"{f[:1]}.{s}", f"{f}_{s}", f"{s}.{f}")[
                int(u[k, 0] * 5)
            ]
            if attempt > 0:
                local += str(int(u[k, 2] * 10 ** min(attempt + 1, 6)))
            providers = vocab.EMAIL_PROVIDERS[COUNTRIES[int(countries[i])].language]
            out.append(f"{local}@{providers[int(u[k, 1] * len(providers))]}")
        return out

    return unique_strings(len(first), make)


def phones(rng: np.random.Generator, countries: np.ndarray, cities: np.ndarray) -> list[Phone]:
    """One number per entity in its city's dialling plan, unique across entities."""
    drawn: dict[int, Phone] = {}  # the last number drawn for each entity is the one kept

    def make(idx: np.ndarray, attempt: int) -> list[str]:
        values = rng.integers(0, 2**62, size=idx.size)
        out = []
        for k, i in enumerate(idx.tolist()):
            spec = COUNTRIES[int(countries[i])]
            drawn[i] = draw_phone(spec, spec.cities[int(cities[i])], int(values[k]))
            out.append(drawn[i].international())
        return out

    unique_strings(len(countries), make)
    return [drawn[i] for i in range(len(countries))]


def addresses(
    rng: np.random.Generator, countries: np.ndarray, cities: np.ndarray, is_person: np.ndarray
) -> tuple[list[str], list[str], list[str]]:
    """Address line, postcode and state (the latter only where the country has states)."""
    draws = rng.integers(0, 2**31, size=(len(countries), 16))
    lines, postcodes, states = [], [], []
    for i, (c, t) in enumerate(zip(countries.tolist(), cities.tolist(), strict=True)):
        spec = COUNTRIES[c]
        city = spec.cities[t]
        lines.append(make_address(spec.style, draws[i], bool(is_person[i])))
        prefix = city.postcode_prefixes[int(draws[i, 6]) % len(city.postcode_prefixes)]
        postcodes.append(prefix + fill_pattern(spec.postcode_pattern, draws[i, 7:]))
        states.append(city.state)
    return lines, postcodes, states


def tax_ids(rng: np.random.Generator, countries: np.ndarray) -> list[str]:
    """VAT-like registration numbers in each country's format ("GB123456789"), unique."""

    def make(idx: np.ndarray, attempt: int) -> list[str]:
        draws = rng.integers(0, 2**31, size=(idx.size, 24))
        return [
            fill_pattern(COUNTRIES[int(countries[i])].tax_pattern, draws[k])
            for k, i in enumerate(idx.tolist())
        ]

    return unique_strings(len(countries), make)


def dates_of_birth(rng: np.random.Generator, n: int) -> list[str]:
    """Dates of birth for ages 18 to 90 at the end of the window, most between 30 and 60."""
    ages_days = (18 + 72 * rng.beta(2.2, 3.0, size=n)) * 365.25
    end_day = np.datetime64(WINDOW_END_S, "s").astype("datetime64[D]")
    days = end_day - ages_days.astype(np.int64).astype("timedelta64[D]")
    return np.datetime_as_string(days, unit="D").tolist()
