"""Names of companies and people, unique per real-world entity.

Fuzzy-dedupe precision is only meaningful if distinct entities rarely share a name, so names come
from a large space (invented syllable words x industry nouns x legal forms; first names x common,
double and invented surnames) and collisions are redrawn. The few deliberate namesakes (hard
negatives) are added afterwards by entities.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import numpy as np

from . import vocab
from .geography import COUNTRIES

_TRANSLITERATE = str.maketrans(
    {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "đ": "d"}
)


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits only, as e-mail addresses and domains are written."""
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    return re.sub(r"[^a-z0-9]", "", text.encode("ascii", "ignore").decode().lower())


def invented_words(rng: np.random.Generator, n: int, endings=vocab.WORD_ENDINGS) -> list[str]:
    """Pronounceable invented words ("Valtora", "Brenwick"): hundreds of thousands possible."""
    onset, vowel, vowel2, ending = (
        rng.integers(len(p), size=n) for p in (vocab.ONSETS, vocab.VOWELS, vocab.VOWELS, endings)
    )
    middle, middle2 = rng.random(n), rng.random(n)
    long = rng.random(n) < 0.2
    words = []
    for i in range(n):
        end = endings[ending[i]]
        # A consonant cluster before a consonant ending reads badly ("Bubrstone"), so soften it.
        last_pool = vocab.MIDDLES if end[0] in "aeiouy" else vocab.SOFT_MIDDLES
        word = vocab.ONSETS[onset[i]] + vocab.VOWELS[vowel[i]]
        if long[i]:
            word += vocab.MIDDLES[int(middle2[i] * len(vocab.MIDDLES))] + vocab.VOWELS[vowel2[i]]
        word += last_pool[int(middle[i] * len(last_pool))] + end
        words.append(word.capitalize())
    return words


def unique_strings(n: int, make: Callable[[np.ndarray, int], list[str]]) -> list[str]:
    """Fill n slots with values unique by case-folded text, redrawing clashes in rounds.

    make(indices, round) returns candidates for those slots; later rounds may widen the space.
    """
    out = [""] * n
    seen: set[str] = set()
    pending = np.arange(n)
    for attempt in range(100):
        if pending.size == 0:
            return out
        retry = []
        for i, value in zip(pending.tolist(), make(pending, attempt), strict=True):
            key = value.casefold()
            if key in seen:
                retry.append(i)
            else:
                seen.add(key)
                out[i] = value
        pending = np.asarray(retry, dtype=np.int64)
    raise RuntimeError("could not draw unique values; the candidate space is too small")


def _pick(pool, u: float):
    return pool[int(u * len(pool))]


def _surname(lang: str, u: np.ndarray, invented: str, widen: bool) -> str:
    """A common surname; Iberian double surnames always, double-barrelled or invented on retry."""
    pool = vocab.SURNAMES[lang]
    joiner = vocab.SURNAME_JOINER.get(lang)
    if widen and u[0] < 0.5:
        return invented
    if joiner or widen:
        return f"{_pick(pool, u[1])}{joiner or '-'}{_pick(pool, u[2])}"
    return _pick(pool, u[1])


def person_names(
    rng: np.random.Generator, countries: np.ndarray
) -> tuple[list[str], list[str], list[str]]:
    """First names, surnames and full names ("José García López"), unique by full name."""
    langs = [COUNTRIES[c].language for c in countries]
    first = [""] * len(langs)
    last = [""] * len(langs)

    def make(idx: np.ndarray, attempt: int) -> list[str]:
        u = rng.random((idx.size, 6))
        invented = invented_words(rng, idx.size, vocab.SURNAME_ENDINGS)
        out = []
        for k, i in enumerate(idx.tolist()):
            lang = langs[i] if u[k, 0] > 0.12 else "en"  # every country has a mixed share
            first[i] = _pick(vocab.FIRST_NAMES[lang], u[k, 1])
            widen = attempt > 0 or (lang == "en" and u[k, 2] < 0.2)
            last[i] = _surname(lang, u[k, 3:], invented[k], widen)
            out.append(f"{first[i]} {last[i]}")
        return out

    full = unique_strings(len(langs), make)
    return first, last, full


_TEMPLATE_WEIGHTS = (0.42, 0.08, 0.12, 0.06, 0.14, 0.05, 0.13)


def _company_name(word: str, industry: int, country: int, template: int, u: np.ndarray) -> str:
    spec = COUNTRIES[country]
    noun = _pick(vocab.INDUSTRY_NOUNS[industry], u[0])
    form = _pick(spec.legal_forms, u[1])
    surname = _pick(vocab.SURNAMES[spec.language], u[2])
    other = _pick(vocab.BRAND_WORDS, u[3])
    name = (
        f"{word} {noun} {form}",
        f"{word} {form}",
        f"{word} & {other} {noun}",
        f"{word} and {surname} {form}",
        f"{word} {noun}",
        f"The {word} {noun} Company",
        f"{surname} {noun} {form}",
    )[template]
    if spec.language == "fr" and u[4] < 0.3:
        name = f"Société {name}"
    return name


def company_names(
    rng: np.random.Generator, industries: np.ndarray, countries: np.ndarray
) -> list[str]:
    """Company names such as "Brenwick Logistics Ltd" or "Kestrel & Marlow Partners"."""

    def make(idx: np.ndarray, attempt: int) -> list[str]:
        words = invented_words(rng, idx.size)
        templates = rng.choice(len(_TEMPLATE_WEIGHTS), size=idx.size, p=_TEMPLATE_WEIGHTS)
        u = rng.random((idx.size, 7))
        out = []
        for k, i in enumerate(idx.tolist()):
            brand = attempt == 0 and u[k, 5] < 0.25
            word = _pick(vocab.BRAND_WORDS, u[k, 6]) if brand else words[k]
            out.append(
                _company_name(word, int(industries[i]), int(countries[i]), int(templates[k]), u[k])
            )
        return out

    return unique_strings(len(industries), make)
