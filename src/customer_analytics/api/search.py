"""Fuzzy search over golden clients: name, email and postcode, ranked by rapidfuzz.

Comparing a query with every client costs too much at 200,000 clients (tens of ms per query),
so the index first narrows to the clients sharing the most of the query's character trigrams
(an inverted index in numpy arrays, built once per principal and publish), then scores those
few with rapidfuzz. A trigram weighs the more the fewer clients have it (inverse document
frequency), and only the query's rarest trigrams are looked up, up to a bounded number of
postings: they say the most, and the work no longer grows with common trigrams. Candidates are
the clients sharing at least half the best client's weight, at least the MIN_CANDIDATES and at
most the CANDIDATES heaviest: when one client clearly matches best, few others are scored. A
client's score is its best field's: WRatio for name and email (whole, partial and
reordered-token matches), plain ratio for the postcode without spaces.

The index holds exactly the values the principal's view returned: a masked email
('***MASKED***') is not indexed, so nobody finds a client by data they may not see.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

MASKED = "***MASKED***"  # what the analytics views return for PII the principal may not see
NOT_SEARCHABLE = re.compile(r"[^0-9a-z@.]+")
# Candidates scored per query at most, and the lowest score returned.
CANDIDATES = 100
MIN_SCORE = 60.0
# The query's trigrams are looked up rarest first until their postings (the clients having
# them) add up to this many, and at least the rarest MIN_TRIGRAMS of them: common ones ('com',
# 'son') narrow little and cost the most.
POSTINGS_BUDGET = 20_000
MIN_TRIGRAMS = 3
# A candidate shares at least this share of the best-sharing client's trigram weight; but the
# MIN_CANDIDATES heaviest are candidates whatever they share, so that a query matching one
# client well still finds its near namesakes.
RELATIVE_WEIGHT = 0.5
MIN_CANDIDATES = 20
FIELDS = ("name", "email", "postcode")


def normalise(text: str | None) -> str:
    """Lower case, accents dropped, anything but letters, digits, '@' and '.' a single space."""
    if not text:
        return ""
    if text.isascii():  # most values: no accents to drop, and 10x faster
        return NOT_SEARCHABLE.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return NOT_SEARCHABLE.sub(" ", plain.casefold()).strip()


def compact(text: str) -> str:
    return text.replace(" ", "")


def trigrams(text: str) -> set[int]:
    """Trigrams of ' text ' as integers (three code points of 21 bits each)."""
    padded = f" {text} "
    return {
        (ord(padded[i]) << 42) | (ord(padded[i + 1]) << 21) | ord(padded[i + 2])
        for i in range(len(padded) - 2)
    }


@dataclass(frozen=True)
class Hit:
    row: int  # the client's position in the corpus the index was built from
    score: float
    matched_on: str


class SearchIndex:
    def __init__(self, names: list, emails: list, postcodes: list):
        names = [normalise(name) for name in names]
        emails = [normalise(email) if email != MASKED else "" for email in emails]
        postcodes = [compact(normalise(postcode)) for postcode in postcodes]
        documents = [
            f"{name} {email} {postcode}"
            for name, email, postcode in zip(names, emails, postcodes, strict=True)
        ]
        self.size = len(documents)
        self.keys, self.offsets, self.postings = inverted_index(documents)
        # A trigram's weight: log(1 + clients / clients having it), rarer is heavier.
        self.weights = np.log1p(self.size / np.maximum(np.diff(self.offsets), 1))
        # Object arrays: the candidates' values are one fancy index away, not a Python loop.
        self.names = np.array(names, dtype=object)
        self.emails = np.array(emails, dtype=object)
        self.postcodes = np.array(postcodes, dtype=object)

    def search(
        self, query: str, offset: int = 0, limit: int | None = None
    ) -> tuple[int, list[Hit]]:
        """(how many candidates score at least MIN_SCORE, those of them from `offset`, at most
        `limit`), best first (ties: corpus order)."""
        text = normalise(query)
        if not text or not self.size:
            return 0, []
        rows = self.candidates(trigrams(text) | trigrams(compact(text)))
        if not len(rows):
            return 0, []
        scores = np.vstack(
            [
                score_field(text, self.names[rows], fuzz.WRatio),
                score_field(text, self.emails[rows], fuzz.WRatio),
                score_field(compact(text), self.postcodes[rows], fuzz.ratio),
            ]
        )
        best_field = scores.argmax(axis=0)
        best = scores.max(axis=0)
        keep = np.flatnonzero(best >= MIN_SCORE)
        order = keep[np.lexsort((rows[keep], -best[keep]))]
        page = order[offset:] if limit is None else order[offset : offset + limit]
        # Hits made for the page only: a few of the up to CANDIDATES that matched.
        return len(order), [
            Hit(int(rows[i]), round(float(best[i]), 1), FIELDS[best_field[i]]) for i in page
        ]

    def candidates(self, query_trigrams: set[int]) -> np.ndarray:
        """Rows of the clients sharing at least RELATIVE_WEIGHT of the best one's trigram weight
        with the query (its rarest trigrams, POSTINGS_BUDGET), at least the MIN_CANDIDATES and
        at most the CANDIDATES heaviest (ties: corpus order); in corpus order."""
        wanted = np.fromiter(query_trigrams, dtype=np.int64)
        at = np.searchsorted(self.keys, wanted)
        present = at < len(self.keys)
        present[present] = self.keys[at[present]] == wanted[present]
        at = at[present]
        if not len(at):
            return np.empty(0, dtype=np.int64)
        lengths = self.offsets[at + 1] - self.offsets[at]
        rarest = np.argsort(lengths, kind="stable")
        within = np.searchsorted(np.cumsum(lengths[rarest]), POSTINGS_BUDGET, side="right")
        rarest = rarest[: max(MIN_TRIGRAMS, int(within))]
        used, lengths = at[rarest], lengths[rarest]
        rows = np.concatenate([self.postings[self.offsets[i] : self.offsets[i + 1]] for i in used])
        weight = np.bincount(
            rows, weights=np.repeat(self.weights[used], lengths), minlength=self.size
        )
        # The rows sharing enough, read where the postings point rather than over every client.
        at_postings = weight[rows]
        best = at_postings.max()
        found = np.unique(rows[at_postings >= RELATIVE_WEIGHT * best])
        if len(found) < MIN_CANDIDATES:
            # The heaviest are among those with a quarter of the best's weight when there are
            # enough of them (most often), else among all.
            found = np.unique(rows[at_postings >= best / 4])
            if len(found) < MIN_CANDIDATES:
                # nonzero of a boolean mask: four times faster than flatnonzero of the weights.
                found = np.nonzero(weight > 0)[0]
            found = heaviest(found, weight, MIN_CANDIDATES)
        return heaviest(found, weight, CANDIDATES)


def heaviest(rows: np.ndarray, weight: np.ndarray, count: int) -> np.ndarray:
    """The `count` of the (sorted) rows with the most weight, ties in corpus order; sorted."""
    if len(rows) <= count:
        return rows
    weights = weight[rows]
    least = np.partition(weights, len(rows) - count)[len(rows) - count]
    kept = weights > least
    kept[np.flatnonzero(weights == least)[: count - int(kept.sum())]] = True
    return rows[kept]


def score_field(query: str, values, scorer) -> np.ndarray:
    """Each value's score, 0 well under MIN_SCORE: rapidfuzz gives up early on a value that
    cannot reach the cutoff, and such a field can be neither a client's best nor kept. The
    cutoff sits a little under MIN_SCORE because rapidfuzz compares in double precision before
    the float32 result is rounded (59.999999 becomes 60.0 and is kept). An empty value scores
    0: a missing email or postcode never matches."""
    return process.cdist(
        [query], values, scorer=scorer, dtype=np.float32, score_cutoff=MIN_SCORE - 0.01
    )[0]


def inverted_index(documents: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sorted distinct trigrams, offsets into postings, postings: document rows), vectorised:
    a Python loop over 200,000 documents' trigrams takes seconds, this a fraction of one."""
    if not documents:
        return np.empty(0, np.int64), np.zeros(1, np.int64), np.empty(0, np.int32)
    padded = [f" {document} " for document in documents]
    # NUL separates documents; no trigram spanning it is kept.
    joined = "\0".join(padded)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    lengths = np.fromiter(map(len, padded), dtype=np.int64, count=len(padded))
    row_of = np.repeat(np.arange(len(padded), dtype=np.int32), lengths + 1)[: len(codes)]
    grams = (codes[:-2] << 42) | (codes[1:-1] << 21) | codes[2:]
    inside = (codes[:-2] != 0) & (codes[1:-1] != 0) & (codes[2:] != 0)
    grams, rows = grams[inside], row_of[:-2][inside]
    order = np.lexsort((rows, grams))
    grams, rows = grams[order], rows[order]
    first = np.ones(len(grams), dtype=bool)
    first[1:] = (grams[1:] != grams[:-1]) | (rows[1:] != rows[:-1])
    grams, rows = grams[first], rows[first]
    keys, starts = np.unique(grams, return_index=True)
    offsets = np.append(starts, len(grams)).astype(np.int64)
    return keys, offsets, rows
