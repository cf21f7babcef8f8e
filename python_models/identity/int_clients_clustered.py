"""Probabilistic (Fellegi-Sunter) dedupe of staged client records into golden clients.

Pipeline, each step a pure pandas/numpy function tested in tests/python/test_client_dedupe.py:

1. ``prepare_features``: normalise every matching field (accents, case, punctuation, legal
   suffixes, nicknames, phone digits, address abbreviations).
2. ``candidate_pairs``: the union of cheap blocking rules, so a typo in one field cannot hide a
   pair, and never all pairs; an oversized block only compares name-sorted neighbours.
3. ``comparison_levels``: per field and pair a level (exact, close, ..., else) from rapidfuzz
   similarities; a field missing on either side has level 0 and says nothing.
4. ``estimate_u`` from the data's value frequencies (exact levels) and random record pairs
   (the other levels); ``estimate_m`` by expectation-maximisation on the candidate pairs of each
   blocking rule, the rule's own fields left out (they agree by construction); ``estimate_prior``
   the share of all record pairs that match. No labels are used.
5. ``score``: match weight = prior + the sum of log2(m/u) over fields, exact matches on common
   values (a frequent name, city or postcode) weighing less (term-frequency adjustment); the match
   probability is 2^w / (1 + 2^w).
6. ``cluster_records``: connected components over pairs at or above the threshold probability and
   steward ``force_match`` decisions, strongest first; a merge is refused when any pair across the
   two clusters is a steward ``never_match`` or clear evidence against a match (probability below
   ``CANNOT_LINK_PROBABILITY``) - a guard against chains that never caps a cluster's size.
7. ``membership_confidence``: the record's probability of belonging to its cluster.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import warnings
from itertools import combinations
from typing import NamedTuple

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components as graph_components

DEFAULT_THRESHOLD = 85.0
MAX_BLOCK_SIZE = 12
NEIGHBOURHOOD_WINDOW = 2
MAX_FIELD_LENGTH = 120
U_SAMPLE_PAIRS = 250_000
RANDOM_SEED = 42
EM_MAX_ITERATIONS = 100
EM_TOLERANCE = 1e-6
MIN_PAIRS_FOR_EM = 50
# Weight of the defaults below, in record pairs: what u and the prior lean on when there are
# few records to learn from.
PSEUDO_PAIRS = 1000
# Weight, in matched pairs, of EM's starting m ("matches mostly agree exactly") in every update:
# a delivery with few or no duplicates must not teach EM that disagreeing records match.
PSEUDO_MATCHES = 200
DEFAULT_PRIOR = 1e-4
# A pair this unlikely is evidence against a match strong enough to keep two clusters apart.
CANNOT_LINK_PROBABILITY = 0.01
# Pairs scored below this are not kept in the explained-pairs output: they were clear non-matches.
PAIR_OUTPUT_FLOOR = 0.01
MAX_CHECKED_COMPONENT = 300

# fmt: off
LEGAL_FORMS = {
    "incorporated": "inc", "inc": "inc", "limited": "ltd", "ltd": "ltd", "corporation": "corp",
    "corp": "corp", "company": "co", "co": "co", "llc": "llc", "plc": "plc", "gmbh": "gmbh",
    "ag": "ag", "sa": "sa", "sarl": "sarl", "bv": "bv", "nv": "nv", "pty": "pty", "kk": "kk",
    "ab": "ab", "as": "as", "oy": "oy", "spa": "spa", "srl": "srl", "sl": "sl", "group": "group",
    "holdings": "holdings",
}
# fmt: on
# fmt: off
NICKNAMES = {
    "bill": "william", "will": "william", "billy": "william", "bob": "robert", "rob": "robert",
    "bobby": "robert", "liz": "elizabeth", "beth": "elizabeth", "betty": "elizabeth",
    "kate": "katherine", "kathy": "katherine", "katie": "katherine", "mike": "michael",
    "mick": "michael", "jim": "james", "jimmy": "james", "dick": "richard", "rick": "richard",
    "peggy": "margaret", "maggie": "margaret", "meg": "margaret", "jon": "jonathan",
    "alex": "alexander", "sandy": "alexandra", "chris": "christopher", "jen": "jennifer",
    "jenny": "jennifer", "tom": "thomas", "tommy": "thomas", "dan": "daniel", "danny": "daniel",
    "pat": "patricia", "patty": "patricia", "steve": "stephen", "ed": "edward", "ted": "edward",
    "tony": "anthony", "joe": "joseph", "sam": "samuel", "ben": "benjamin", "matt": "matthew",
    "nick": "nicholas", "andy": "andrew", "dave": "david", "greg": "gregory", "sue": "susan",
    "chuck": "charles", "charlie": "charles", "harry": "henry", "jack": "john", "johnny": "john",
    "fred": "frederick", "larry": "lawrence", "nate": "nathan", "vicky": "victoria",
}
# fmt: on
# fmt: off
ADDRESS_WORDS = {
    "street": "st", "road": "rd", "avenue": "ave", "lane": "ln", "drive": "dr", "court": "ct",
    "place": "pl", "square": "sq", "boulevard": "blvd", "highway": "hwy", "terrace": "ter",
    "crescent": "cres", "close": "cl", "house": "ho", "building": "bldg", "floor": "fl",
    "suite": "ste", "north": "n", "south": "s", "east": "e", "west": "w", "strasse": "str",
}
# fmt: on
# Letters NFKD does not decompose into a base letter plus accent.
TRANSLITERATIONS = str.maketrans(
    {
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
    }
)
LEGAL_FORM_TOKENS = frozenset(LEGAL_FORMS.values())
# Letters and digits of every script survive (Сергей, 王伟); punctuation, symbols and emoji do not.
NOT_ALPHANUMERIC = re.compile(r"[\W_]+")
STEWARD_DECISIONS = ("force_match", "never_match")


# --- 1. features -------------------------------------------------------------------------------


def is_missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def fold_text(value: object) -> str:
    """Lower-case letters, digits and single spaces; accents and punctuation removed."""
    if is_missing(value):
        return ""
    text = str(value)[: MAX_FIELD_LENGTH * 2].casefold().translate(TRANSLITERATIONS)
    # ASCII has nothing to decompose; most values are ASCII, and this is a per-character loop.
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.replace("&", " and ")
    return " ".join(NOT_ALPHANUMERIC.sub(" ", text).split())


def normalise_name(value: object) -> str:
    """Name as sorted tokens with legal forms and nicknames canonicalised (order-tolerant)."""
    tokens = [
        NICKNAMES.get(token, LEGAL_FORMS.get(token, token)) for token in fold_text(value).split()
    ]
    tokens = [token for token in tokens if token != "and"]
    return " ".join(sorted(tokens))[:MAX_FIELD_LENGTH]


def name_core(normalised_name: str | None) -> str:
    """Distinctive name tokens: the normalised name without legal forms."""
    tokens = (normalised_name or "").split()
    return " ".join(token for token in tokens if token not in LEGAL_FORM_TOKENS)


def normalise_address(value: object) -> str:
    tokens = [ADDRESS_WORDS.get(token, token) for token in fold_text(value).split()]
    return " ".join(tokens)[:MAX_FIELD_LENGTH]


def compact(value: object) -> str:
    """Letters and digits only, upper case: for postcodes, tax ids and dates."""
    return fold_text(value).replace(" ", "").upper()[:MAX_FIELD_LENGTH]


def date_key(value: object) -> str:
    """A date as YYYYMMDD: DuckDB hands DATE columns over as timestamps, Snowpark as dates, and a
    text date is compacted like any code."""
    if is_missing(value):
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%Y%m%d")
    return compact(value)


def phone_key(value: object) -> str:
    """The last nine digits: equal for +44 20 7946 0123, (020) 7946-0123 and 02079460123."""
    digits = "" if is_missing(value) else re.sub(r"[^0-9]", "", str(value))
    return digits[-9:] if len(digits) >= 7 else ""


def email_key(value: object) -> str:
    return "" if is_missing(value) else str(value).strip().casefold()[:MAX_FIELD_LENGTH]


def map_distinct(values: pd.Series, normalise) -> pd.Series:
    """values.map(normalise), calling it once per distinct value: postcodes, dates of birth and
    shared addresses repeat across records, and normalising is per-character Python."""
    codes, distinct = pd.factorize(values)
    normalised = np.array([*map(normalise, distinct), normalise(None)], dtype=object)
    return pd.Series(normalised[codes], index=values.index)


def optional_column(records: pd.DataFrame, column: str) -> pd.Series:
    if column in records:
        return records[column]
    return pd.Series(None, index=records.index, dtype=object)


# The client record columns prepare_features reads: the model pulls only these into memory (at
# 200,000 records the other eleven columns of the staged relation held 85 of 204 MB).
RECORD_FIELDS = (
    "client_id",
    "source_system",
    "client_name",
    "tax_id",
    "email",
    "phone",
    "date_of_birth",
    "address_line",
    "postcode",
    "city",
)


def prepare_features(clients: pd.DataFrame) -> pd.DataFrame:
    """Normalised matching fields, one row per client record, in a stable order (by client_id)."""
    records = clients.sort_values("client_id", kind="stable").reset_index(drop=True)
    features = pd.DataFrame(
        {
            "client_id": records["client_id"].astype(str),
            "source_system": optional_column(records, "source_system"),
            "name": map_distinct(records["client_name"], normalise_name),
            "tax_id": map_distinct(optional_column(records, "tax_id"), compact),
            "email": map_distinct(optional_column(records, "email"), email_key),
            "phone": map_distinct(optional_column(records, "phone"), phone_key),
            "date_of_birth": map_distinct(optional_column(records, "date_of_birth"), date_key),
            "address": map_distinct(optional_column(records, "address_line"), normalise_address),
            "postcode": map_distinct(optional_column(records, "postcode"), compact),
            "city": map_distinct(optional_column(records, "city"), fold_text),
        }
    )
    features["name_core"] = map_distinct(features["name"], name_core)
    for field in (*FIELDS, "name_core"):
        # Integer codes of the values, -1 for missing: pairs compare codes, not strings.
        codes, values = pd.factorize(features[field].to_numpy(dtype=object))
        features[f"{field}_code"] = np.where(values[codes] == "", -1, codes)
    return features


# --- 2. blocking -------------------------------------------------------------------------------

# Each rule and the fields it makes agree: EM leaves those out of the rule's own pairs. Each rule
# is cheap (an equality on a short key); their union is what reaches comparison, measured as pair
# completeness in bench/dedupe_benchmark.py.
BLOCKING_RULE_FIELDS = {
    "tax_id": ("tax_id",),
    "email": ("email",),
    "phone": ("phone",),
    "date_of_birth": ("date_of_birth",),
    "name_prefix": ("name",),
    "postcode_house": ("postcode", "address"),
    "postcode_initials": ("postcode", "name"),
    "city_initials": ("city", "name"),
    "city_street": ("city", "address"),
    "street_initials": ("address", "name"),
}


def field_codes(features: pd.DataFrame, field: str) -> tuple[np.ndarray, np.ndarray]:
    """The field's code per record (-1 when missing) and its value per code."""
    codes = features[f"{field}_code"].to_numpy()
    values = np.empty(codes.max(initial=-1) + 2, dtype=object)
    values[codes] = features[field].to_numpy(dtype=object)
    return codes, values[:-1]


def derived_key(features: pd.DataFrame, field: str, derive) -> np.ndarray:
    """Code of derive(value) per record, derived once per distinct value; -1 where the field is
    missing or derives to ''."""
    codes, values = field_codes(features, field)
    derived = np.array([derive(value) if value else "" for value in values], dtype=object)
    derived_codes, derived_values = pd.factorize(derived)
    blank = np.asarray(derived_values, dtype=object)[derived_codes] == ""
    derived_codes = np.where(blank, -1, derived_codes)
    return np.where(codes >= 0, np.append(derived_codes, -1)[codes], -1)


def combined_key(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """One code per (left, right) pair of codes; -1 when either is missing."""
    return np.where((left >= 0) & (right >= 0), left * (right.max(initial=0) + 1) + right, -1)


def name_prefix(core_name: str) -> str:
    return "|".join(token[:4] for token in core_name.split()[:2])


def initials(core_name: str) -> str:
    return "".join(token[:1] for token in core_name.split())


def house_number(address: str) -> str:
    found = re.search(r"\b(\d+)\b", address)
    return found.group(1) if found else ""


def street_word(address: str) -> str:
    found = re.search(r"([a-z][a-z]+)", address)
    return found.group(1) if found else ""


def blocking_keys(features: pd.DataFrame) -> dict[str, np.ndarray]:
    """One key (an integer code) per rule and record; -1 means 'no key' for that record.
    Keys are derived once per distinct name or address and combined as integers: string keys
    cost more than the comparisons."""
    name_initials = derived_key(features, "name_core", initials)
    house = derived_key(features, "address", house_number)
    street = derived_key(features, "address", street_word)
    postcode, city = features["postcode_code"].to_numpy(), features["city_code"].to_numpy()
    keys = {
        "tax_id": features["tax_id_code"].to_numpy(),
        "email": features["email_code"].to_numpy(),
        "phone": features["phone_code"].to_numpy(),
        "date_of_birth": features["date_of_birth_code"].to_numpy(),
        "name_prefix": derived_key(features, "name_core", name_prefix),
        "postcode_house": combined_key(postcode, house),
        "postcode_initials": combined_key(postcode, name_initials),
        "city_initials": combined_key(city, name_initials),
        "city_street": combined_key(city, street),
        "street_initials": combined_key(street, name_initials),
    }
    assert keys.keys() == BLOCKING_RULE_FIELDS.keys()
    return keys


def distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted distinct integers, the index of each value's distinct value, and their counts.
    np.unique does the same, but its hash-based path in numpy 2 is about 100 times slower than
    a sort on millions of integers."""
    order = np.argsort(values)
    ordered = values[order]
    first = np.empty(len(ordered), dtype=bool)
    first[:1] = True
    first[1:] = ordered[1:] != ordered[:-1]
    inverse = np.empty(len(values), dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    starts = np.flatnonzero(first)
    return ordered[starts], inverse, np.diff(np.append(starts, len(ordered)))


def contains(values: np.ndarray, members: np.ndarray) -> np.ndarray:
    """np.isin for integers, by binary search (np.isin calls the slow np.unique)."""
    ordered = np.sort(members)
    position = np.clip(np.searchsorted(ordered, values), 0, max(len(ordered) - 1, 0))
    return ordered[position] == values if len(ordered) else np.zeros(len(values), dtype=bool)


def pairs_within_blocks(keys: np.ndarray, order_by: np.ndarray) -> np.ndarray:
    """(i, j) index pairs, i < j, of records sharing a key (-1: no key). Blocks above
    MAX_BLOCK_SIZE only compare records within NEIGHBOURHOOD_WINDOW of each other in the
    order_by ranking, so one common key value cannot make the work quadratic."""
    keys = np.asarray(keys)
    present = keys >= 0
    if present.sum() < 2:
        return np.empty((0, 2), dtype=np.int64)
    rows = np.flatnonzero(present)
    block = distinct(keys[present])[1]
    by_block = np.lexsort((rows, np.asarray(order_by)[present], block))
    rows, block = rows[by_block], block[by_block]
    block_size = np.bincount(block)[block]
    reach = np.where(block_size > MAX_BLOCK_SIZE, NEIGHBOURHOOD_WINDOW, MAX_BLOCK_SIZE)
    pairs = []
    for offset in range(1, min(MAX_BLOCK_SIZE, len(rows))):
        same = (block[:-offset] == block[offset:]) & (offset <= reach[:-offset])
        if not same.any():
            break
        pairs.append(np.column_stack([rows[:-offset][same], rows[offset:][same]]))
    if not pairs:
        return np.empty((0, 2), dtype=np.int64)
    return np.sort(np.vstack(pairs), axis=1)


def blocked_pairs(features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Unique (i, j) pairs, i < j, sharing at least one blocking key, sorted; and per pair a
    bit mask of the rules (in BLOCKING_RULE_FIELDS order) that found it."""
    # Ranked once here rather than once per blocking key.
    name_rank = pd.factorize(features["name"].to_numpy(dtype=object), sort=True)[0]
    found, masks = [np.empty((0, 2), dtype=np.int64)], [np.empty(0, dtype=np.int64)]
    for bit, keys in enumerate(blocking_keys(features).values()):
        pairs = pairs_within_blocks(keys, name_rank)
        found.append(pairs)
        masks.append(np.full(len(pairs), 1 << bit, dtype=np.int64))
    pairs, mask = np.vstack(found), np.concatenate(masks)
    if len(pairs) == 0:
        return pairs, mask
    codes = pairs[:, 0] * len(features) + pairs[:, 1]
    unique_codes, inverse, _ = distinct(codes)
    rules = np.zeros(len(unique_codes), dtype=np.int64)
    np.bitwise_or.at(rules, inverse, mask)
    unique = np.column_stack([unique_codes // len(features), unique_codes % len(features)])
    return unique, rules


def candidate_pairs(features: pd.DataFrame) -> np.ndarray:
    """Unique (i, j) pairs, i < j, sharing at least one blocking key, sorted."""
    return blocked_pairs(features)[0]


# --- 3. comparison levels ----------------------------------------------------------------------


class Comparison(NamedTuple):
    """How one field is compared: its level labels from level 1 ('else') upwards; level 0 is
    'missing on either side'. tf: exact matches on common values count for less."""

    kind: str
    labels: tuple[str, ...]
    tf: bool


TEXT_LEVELS = ("else", "jaro_winkler_0.80", "jaro_winkler_0.92", "exact")
IDENTIFIER_LEVELS = ("else", "one_edit", "exact")
DATE_LEVELS = ("else", "same_year", "one_edit_or_day_month_swap", "exact")
COMPARISONS = {
    "name": Comparison("text", TEXT_LEVELS, tf=True),
    "tax_id": Comparison("identifier", IDENTIFIER_LEVELS, tf=False),
    "email": Comparison("identifier", IDENTIFIER_LEVELS, tf=False),
    "phone": Comparison("identifier", IDENTIFIER_LEVELS, tf=False),
    "date_of_birth": Comparison("date", DATE_LEVELS, tf=False),
    "address": Comparison("text", TEXT_LEVELS, tf=True),
    "postcode": Comparison("identifier", IDENTIFIER_LEVELS, tf=True),
    "city": Comparison("text", TEXT_LEVELS, tf=True),
}
FIELDS = tuple(COMPARISONS)
# u per level (else ... exact) of a typical field of each kind among non-matching records.
DEFAULT_U = {
    "text": np.array([0.99, 0.008, 0.0019, 0.0001]),
    "identifier": np.array([0.9998, 0.0001, 0.0001]),
    "date": np.array([0.97, 0.025, 0.0049, 0.0001]),
}


def text_levels(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """3 exact, 2 Jaro-Winkler >= 0.92, 1 >= 0.80 ... on the values (both present)."""
    similarity = process.cpdist(
        left, right, scorer=JaroWinkler.normalized_similarity, score_cutoff=0.80, workers=-1
    )
    levels = np.where(similarity >= 0.92, 3, np.where(similarity >= 0.80, 2, 1))
    return np.where(left == right, 4, levels)


def identifier_levels(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """An identifier is equal, one typo away (a character wrong, missing or extra, or two
    neighbours swapped), or different - a different one is evidence against a match, never a
    weak similarity."""
    # A cutoff lets rapidfuzz stop as soon as two edits are found.
    distance = process.cpdist(left, right, scorer=OSA.distance, score_cutoff=1, workers=-1)
    return np.where(left == right, 3, np.where(distance <= 1, 2, 1))


def date_levels(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Dates as compact YYYYMMDD text: exact, one digit off or day and month swapped, same
    year, else."""
    distance = process.cpdist(left, right, scorer=OSA.distance, score_cutoff=1, workers=-1)
    left_text, right_text = pd.Series(left, dtype=object), pd.Series(right, dtype=object)
    swapped = left_text.str[:4] + left_text.str[6:8] + left_text.str[4:6]
    same_year = (left_text.str[:4] == right_text.str[:4]).to_numpy()
    close = (distance <= 1) | (swapped == right_text).to_numpy()
    return np.where(left == right, 4, np.where(close, 3, np.where(same_year, 2, 1)))


LEVEL_FUNCTIONS = {"text": text_levels, "identifier": identifier_levels, "date": date_levels}


def comparison_levels(features: pd.DataFrame, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Level per pair (rows) and field (columns, FIELDS order); 0 where either side is missing.

    Values are compared as integer codes: equal codes are the exact level at once, and each
    distinct pair of differing values is compared once (a city, postcode or date pair repeats
    across thousands of record pairs)."""
    levels = np.zeros((len(left), len(FIELDS)), dtype=np.int8)
    for column, (field, comparison) in enumerate(COMPARISONS.items()):
        codes, values = field_codes(features, field)
        left_codes, right_codes = codes[left], codes[right]
        present = (left_codes >= 0) & (right_codes >= 0)
        equal = present & (left_codes == right_codes)
        levels[equal, column] = len(comparison.labels)
        differ = np.flatnonzero(present & ~equal)
        if len(differ):
            combined = left_codes[differ].astype(np.int64) * len(values) + right_codes[differ]
            value_pairs, inverse, _ = distinct(combined)
            compared = LEVEL_FUNCTIONS[comparison.kind](
                values[value_pairs // len(values)], values[value_pairs % len(values)]
            )
            levels[differ, column] = compared[inverse]
    core_codes = features["name_core_code"].to_numpy()
    core_exact = (core_codes[left] == core_codes[right]) & (core_codes[left] >= 0)
    # A legal form written differently (Ltd vs Inc) must not outweigh an identical core name.
    levels[core_exact, FIELDS.index("name")] = len(COMPARISONS["name"].labels)
    return levels


# --- 4. parameters -----------------------------------------------------------------------------


class Parameters(NamedTuple):
    """Fitted Fellegi-Sunter parameters: per field, m and u per level (index 0 = level 1);
    term frequencies of the tf fields; the prior probability that two random records match."""

    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    m_estimated: dict[str, bool]
    term_frequencies: dict[str, np.ndarray]
    prior: float
    # Per blocking rule EM was fitted on, its iterations (EM_MAX_ITERATIONS: did not converge).
    em_iterations: dict[str, int]


def value_frequencies(codes: np.ndarray) -> np.ndarray:
    """Share of the records holding each value (by code), among records where the field is
    present, drawn towards DEFAULT_U's exact share as if PSEUDO_PAIRS more records held other
    values: in a handful of records every value looks common."""
    present = codes[codes >= 0]
    counts = np.bincount(present, minlength=codes.max(initial=-1) + 1)
    return counts / (len(present) + PSEUDO_PAIRS)


def agreeing_pairs(codes: np.ndarray) -> tuple[float, float]:
    """Record pairs agreeing exactly on the field, and record pairs where both hold it - counted
    from the value frequencies, not sampled: for identifiers the share is far too small for any
    sample to see."""
    counts = np.bincount(codes[codes >= 0]).astype(float)
    total = counts.sum()
    return float((counts * (counts - 1)).sum() / 2), float(total * (total - 1) / 2)


def random_pairs(size: int, sample: int, seed: int = RANDOM_SEED) -> np.ndarray:
    """Up to `sample` distinct random (i, j), i < j, record pairs; all pairs when fewer exist."""
    total = size * (size - 1) // 2
    if total <= sample:
        left, right = np.triu_indices(size, k=1)
        return np.column_stack([left, right])
    generator = np.random.default_rng(seed)
    left = generator.integers(0, size, sample)
    right = generator.integers(0, size - 1, sample)
    right = right + (right >= left)
    codes = distinct(np.minimum(left, right) * size + np.maximum(left, right))[0]
    return np.column_stack([codes // size, codes % size])


def estimate_u(features: pd.DataFrame, sample: int = U_SAMPLE_PAIRS) -> dict[str, np.ndarray]:
    """u per field and level: the exact level from value frequencies, the others from random
    record pairs (which are nearly all non-matches). Both are drawn towards DEFAULT_U as if
    PSEUDO_PAIRS more pairs had been seen: with a few records the defaults speak, with many the
    data."""
    pairs = random_pairs(len(features), sample)
    levels = comparison_levels(features, pairs[:, 0], pairs[:, 1])
    u = {}
    for column, (field, comparison) in enumerate(COMPARISONS.items()):
        top = len(comparison.labels)
        default = DEFAULT_U[comparison.kind]
        observed = levels[:, column]
        counts = np.bincount(observed[observed > 0], minlength=top + 1)[1:top]
        below = (counts + PSEUDO_PAIRS * default[:-1]) / (
            counts.sum() + PSEUDO_PAIRS * default[:-1].sum()
        )
        agree, both_present = agreeing_pairs(features[f"{field}_code"].to_numpy())
        exact = (agree + PSEUDO_PAIRS * default[-1]) / (both_present + PSEUDO_PAIRS)
        u[field] = np.append(below * (1.0 - exact), exact)
    return u


def initial_m(labels: tuple[str, ...]) -> np.ndarray:
    """A starting point for EM: matches mostly agree exactly."""
    start = np.geomspace(0.01, 1.0, len(labels))
    start[-1] = 2.0
    return start / start.sum()


def em_fit(
    patterns: np.ndarray,
    counts: np.ndarray,
    u: list[np.ndarray],
    m: list[np.ndarray],
    share: float = 0.1,
) -> tuple[list[np.ndarray], float, int]:
    """Expectation-maximisation of m and the match share on counted comparison patterns (rows =
    distinct level vectors, 0 = missing), u held fixed; each m update adds PSEUDO_MATCHES
    matched pairs distributed as the starting m (a maximum a posteriori estimate)."""
    start = m
    iterations, change = 0, np.inf
    while iterations < EM_MAX_ITERATIONS and change >= EM_TOLERANCE:
        iterations += 1
        log_ratio = np.zeros(len(patterns))
        for column, (m_field, u_field) in enumerate(zip(m, u, strict=True)):
            level = patterns[:, column]
            present = level > 0
            log_ratio[present] += np.log(m_field[level[present] - 1] / u_field[level[present] - 1])
        prior_odds = np.log(share / (1 - share))
        posterior = 1.0 / (1.0 + np.exp(-np.clip(prior_odds + log_ratio, -700, 700)))
        weights = posterior * counts
        new_m = []
        for column in range(len(m)):
            level = patterns[:, column]
            totals = np.bincount(level, weights=weights, minlength=len(start[column]) + 1)[1:]
            new_m.append(
                (totals + PSEUDO_MATCHES * start[column]) / (totals.sum() + PSEUDO_MATCHES)
            )
        new_share = float(np.clip(weights.sum() / counts.sum(), 1e-9, 1 - 1e-9))
        change = max(np.abs(new - old).max() for new, old in zip(new_m, m, strict=True))
        m, share = new_m, new_share
    return m, share, iterations


def distinct_patterns(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a level matrix and their counts (rows packed into one integer each:
    sorting millions of short rows as rows is many times slower)."""
    if levels.shape[1] == 0:
        return levels[:1], np.array([len(levels)])
    base = int(levels.max(initial=0)) + 1
    packed = levels.astype(np.int64) @ base ** np.arange(levels.shape[1], dtype=np.int64)
    codes, _, counts = distinct(packed)
    patterns = (codes[:, None] // base ** np.arange(levels.shape[1], dtype=np.int64)) % base
    return patterns.astype(np.int64), counts


def estimate_m(
    levels: np.ndarray, rules: np.ndarray, u: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], dict[str, bool], dict[str, int]]:
    """m per field and level: for each blocking rule, EM on the pairs it found over the fields
    it does not use; a field's m is the mean of its estimates over the rules that fitted it.
    A field no rule could fit keeps the starting values (reported as not estimated)."""
    estimates = {field: [] for field in FIELDS}
    iterations = {}
    for bit, (rule, rule_fields) in enumerate(BLOCKING_RULE_FIELDS.items()):
        found = (rules & (1 << bit)) != 0
        if found.sum() < MIN_PAIRS_FOR_EM:
            continue
        fitted = [index for index, field in enumerate(FIELDS) if field not in rule_fields]
        patterns, counts = distinct_patterns(levels[found][:, fitted])
        starting = [initial_m(COMPARISONS[FIELDS[index]].labels) for index in fitted]
        m, _, iterations[rule] = em_fit(
            patterns, counts.astype(float), [u[FIELDS[index]] for index in fitted], starting
        )
        for index, m_field in zip(fitted, m, strict=True):
            # A field missing from every pair of the rule taught EM nothing.
            if (patterns[:, fitted.index(index)] > 0).any():
                estimates[FIELDS[index]].append(m_field)
    m, estimated = {}, {}
    for field in FIELDS:
        fits = estimates[field]
        estimated[field] = bool(fits)
        m[field] = np.mean(fits, axis=0) if fits else initial_m(COMPARISONS[field].labels)
    return m, estimated, iterations


def level_weights(parameters: Parameters, field: str) -> np.ndarray:
    """log2(m/u) per level, capped so that no level weighs more than a stronger one: a level seen
    almost never among matches and non-matches alike has m and u that are both little more than
    smoothing, and their ratio must not make a near match count for more than an exact one."""
    weights = np.log2(parameters.m[field] / parameters.u[field])
    return np.minimum.accumulate(weights[::-1])[::-1]


def field_weights(
    features: pd.DataFrame,
    left: np.ndarray,
    right: np.ndarray,
    levels: np.ndarray,
    parameters: Parameters,
) -> np.ndarray:
    """log2(m/u) per pair and field; 0 where missing; tf-adjusted on exact matches."""
    weights = np.zeros(levels.shape)
    for column, (field, comparison) in enumerate(COMPARISONS.items()):
        level = levels[:, column].astype(np.int64)
        table = np.append(0.0, level_weights(parameters, field))
        weights[:, column] = table[level]
        if comparison.tf:
            present = level > 0
            codes = features[f"{field}_code"].to_numpy()
            shares = parameters.term_frequencies[field]
            # The rarer of the two values: on an exact match both are the same value, or
            # (names differing only in a legal form) equally distinctive.
            share = np.minimum(
                shares[np.maximum(codes[left[present]], 0)],
                shares[np.maximum(codes[right[present]], 0)],
            )
            exact_weight = np.log2(parameters.m[field][-1] / share)
            exact = level[present] == len(comparison.labels)
            # A near match never weighs more than an exact match on the same value would.
            weights[present, column] = np.where(
                exact, exact_weight, np.minimum(weights[present, column], exact_weight)
            )
    return weights


def probability(weight: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp2(-np.clip(weight, -1000, 1000)))


def estimate_prior(pair_weights: np.ndarray, record_count: int) -> float:
    """The probability that two random records match: the fixed point of 'expected matches
    among the candidate pairs, over all record pairs' (pairs never compared count as
    non-matches), drawn towards DEFAULT_PRIOR as if PSEUDO_PAIRS more pairs had been seen."""
    total = record_count * (record_count - 1) / 2
    prior = DEFAULT_PRIOR
    for _ in range(200):
        odds = np.log2(prior / (1 - prior))
        expected = probability(odds + pair_weights).sum()
        updated = (expected + PSEUDO_PAIRS * DEFAULT_PRIOR) / (total + PSEUDO_PAIRS)
        if abs(updated - prior) <= 1e-9 * prior:
            break
        prior = updated
    return float(prior)


def fit_parameters(
    features: pd.DataFrame, pairs: np.ndarray, rules: np.ndarray, levels: np.ndarray
) -> Parameters:
    u = estimate_u(features)
    m, estimated, iterations = estimate_m(levels, rules, u)
    parameters = Parameters(
        m=m,
        u=u,
        m_estimated=estimated,
        term_frequencies={
            field: value_frequencies(features[f"{field}_code"].to_numpy())
            for field, comparison in COMPARISONS.items()
            if comparison.tf
        },
        prior=0.0,
        em_iterations=iterations,
    )
    weights = field_weights(features, pairs[:, 0], pairs[:, 1], levels, parameters).sum(axis=1)
    return parameters._replace(prior=estimate_prior(weights, len(features)))


# --- 5. scoring --------------------------------------------------------------------------------


def prior_weight(prior: float) -> float:
    return float(np.log2(prior / (1 - prior)))


class ScoredPairs(NamedTuple):
    """Candidate pairs with their levels, weights and match probability."""

    pairs: np.ndarray
    rules: np.ndarray
    levels: np.ndarray
    weights: np.ndarray
    match_weight: np.ndarray
    match_probability: np.ndarray


def score(
    features: pd.DataFrame,
    pairs: np.ndarray,
    rules: np.ndarray,
    levels: np.ndarray,
    parameters: Parameters,
) -> ScoredPairs:
    weights = field_weights(features, pairs[:, 0], pairs[:, 1], levels, parameters)
    match_weight = prior_weight(parameters.prior) + weights.sum(axis=1)
    return ScoredPairs(pairs, rules, levels, weights, match_weight, probability(match_weight))


# --- 6. steward decisions and clustering -------------------------------------------------------


class Decisions(NamedTuple):
    """Steward decisions resolved to record indexes, and what became of each."""

    force: np.ndarray
    never: np.ndarray
    outcomes: pd.DataFrame


def record_positions(client_ids: np.ndarray) -> pd.Series:
    """Position of each client_id (its first, should staging ever deliver one twice)."""
    position = pd.Series(np.arange(len(client_ids)), index=client_ids)
    return position[~position.index.duplicated()]


def resolve_decisions(decisions: pd.DataFrame | None, client_ids: np.ndarray) -> Decisions:
    """Index pairs of the honoured steward decisions. A decision naming a record that is not
    delivered, or naming one record twice, is reported, not applied. When the same pair is both
    forced and never matched, never_match wins: a contradiction must not merge anything."""
    columns = ["left_client_id", "right_client_id", "decision", "status"]
    if decisions is None or decisions.empty:
        empty = np.empty((0, 2), dtype=np.int64)
        return Decisions(empty, empty, pd.DataFrame(columns=columns))
    # A decision entered twice is applied, and reported, once.
    frame = (
        decisions[["left_client_id", "right_client_id", "decision"]]
        .astype(str)
        .drop_duplicates(ignore_index=True)
    )
    unknown = sorted(set(frame["decision"]) - set(STEWARD_DECISIONS))
    if unknown:
        raise ValueError(f"steward decisions must be one of {STEWARD_DECISIONS}, got {unknown}")
    position = record_positions(client_ids)
    left = position.reindex(frame["left_client_id"]).to_numpy()
    right = position.reindex(frame["right_client_id"]).to_numpy()
    delivered = ~np.isnan(left) & ~np.isnan(right)
    pair = np.sort(np.column_stack([np.nan_to_num(left), np.nan_to_num(right)]), axis=1)
    pair = pair.astype(np.int64)
    key = pd.Series(pair[:, 0] * len(client_ids) + pair[:, 1])
    never_keys = set(key[delivered & (frame["decision"] == "never_match").to_numpy()])
    contradicted = key.isin(never_keys).to_numpy() & (frame["decision"] == "force_match").to_numpy()
    status = np.select(
        [~delivered, pair[:, 0] == pair[:, 1], contradicted],
        ["record_not_delivered", "same_record", "contradicted_by_never_match"],
        "honoured",
    )
    for row in np.flatnonzero(status != "honoured"):
        warnings.warn(
            f"steward decision {frame['decision'].iat[row]} between "
            f"{frame['left_client_id'].iat[row]} and {frame['right_client_id'].iat[row]} "
            f"not applied: {status[row]}",
            stacklevel=2,
        )
    honoured = status == "honoured"
    is_force = (frame["decision"] == "force_match").to_numpy()
    outcomes = frame.assign(status=status)[columns]
    return Decisions(
        np.unique(pair[honoured & is_force], axis=0).reshape(-1, 2),
        np.unique(pair[honoured & ~is_force], axis=0).reshape(-1, 2),
        outcomes,
    )


def pair_codes(pairs: np.ndarray, size: int) -> np.ndarray:
    """One integer per (i, j) pair, for set operations on pairs."""
    return pairs[:, 0].astype(np.int64) * size + pairs[:, 1]


def connected_components(size: int, edges: np.ndarray) -> np.ndarray:
    """Component label (smallest member index) per node of an undirected graph."""
    if size == 0:
        return np.empty(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(size, size))
    labels = graph_components(graph, directed=False)[1]
    smallest = np.full(labels.max() + 1, size, dtype=np.int64)
    np.minimum.at(smallest, labels, np.arange(size))
    return smallest[labels]


def pairs_inside_components(size: int, edges: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Every pair inside each component of 3 to MAX_CHECKED_COMPONENT records the edges could
    form that is not already known: the chain guard needs their evidence. Larger components
    are guarded by their known pairs only."""
    labels = connected_components(size, edges)
    sizes = np.bincount(labels, minlength=size)[labels]
    members = np.flatnonzero((sizes >= 3) & (sizes <= MAX_CHECKED_COMPONENT))
    members = members[np.argsort(labels[members], kind="stable")]
    groups = np.split(members, np.flatnonzero(np.diff(labels[members])) + 1)
    combos = [np.array(list(combinations(group, 2))) for group in groups if len(group) >= 3]
    if not combos:
        return np.empty((0, 2), dtype=np.int64)
    within = np.vstack(combos)
    return within[~contains(pair_codes(within, size), pair_codes(known, size))]


def identical_pairs(features: pd.DataFrame) -> np.ndarray:
    """(i, j) pairs chaining each group of records that agree on every compared field and have
    at least two of them filled in. Such records are one client whatever the weights say: in a
    delivery where hundreds of records are copies, agreement is so common that the learned
    weights would call it no evidence at all."""
    codes = features[[f"{field}_code" for field in FIELDS]].to_numpy()
    rows = np.flatnonzero((codes >= 0).sum(axis=1) >= 2)
    rows = rows[np.lexsort(codes[rows].T[::-1])]
    same = (codes[rows[1:]] == codes[rows[:-1]]).all(axis=1)
    return np.sort(np.column_stack([rows[:-1][same], rows[1:][same]]), axis=1).astype(np.int64)


def identical_fields(features: pd.DataFrame, pairs: np.ndarray) -> np.ndarray:
    """Per pair: do its records agree on every compared field, with at least two filled in?
    Field by field: the pairs' codes of all fields at once took 0.5 GB per side at 7.7 M pairs."""
    identical = np.ones(len(pairs), dtype=bool)
    filled = np.zeros(len(pairs), dtype=np.int64)
    for field in FIELDS:
        codes = features[f"{field}_code"].to_numpy()
        left = codes[pairs[:, 0]]
        identical &= left == codes[pairs[:, 1]]
        filled += left >= 0
    return identical & (filled >= 2)


def cluster_records(
    size: int,
    pairs: np.ndarray,
    match_probability: np.ndarray,
    threshold: float,
    decisions: Decisions,
    identical: np.ndarray,
) -> np.ndarray:
    """Cluster label (the smallest member index) per record.

    First the model: pairs at or above the threshold, strongest first (ties by index, so the
    result is deterministic); a merge is refused when any pair across the two clusters is a
    never_match decision or scored below CANNOT_LINK_PROBABILITY: A~B and B~C must not glue A
    to a clearly different C. Then identical records and the stewards: each identical pair and
    force_match merges the two golden clients its records ended in, refused only when a
    never_match crosses them. Nothing caps the size of a cluster."""
    strong = np.flatnonzero(match_probability >= threshold)
    order = strong[np.lexsort((pairs[strong, 1], pairs[strong, 0], -match_probability[strong]))]
    model_edges = pairs[order].astype(np.int64)
    # Only pairs inside a component the edges could form can ever be across a merge.
    component = connected_components(size, np.vstack([model_edges, identical, decisions.force]))
    against = (match_probability < CANNOT_LINK_PROBABILITY) & (
        component[pairs[:, 0]] == component[pairs[:, 1]]
    )
    never = {tuple(pair) for pair in decisions.never.tolist()}
    parent = np.arange(size)
    members = {}

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    def merge(edges: np.ndarray, cannot: set) -> None:
        for left, right in edges:
            left_root, right_root = root(left), root(right)
            if left_root == right_root:
                continue
            left_members = members.get(left_root, [left_root])
            right_members = members.get(right_root, [right_root])
            if cannot and any(
                (min(a, b), max(a, b)) in cannot for a in left_members for b in right_members
            ):
                continue
            keep, absorb = sorted((left_root, right_root))
            parent[absorb] = keep
            members[keep] = left_members + right_members
            members.pop(absorb, None)

    merge(model_edges, never | set(map(tuple, pairs[against].tolist())))
    merge(np.vstack([identical, decisions.force]).astype(np.int64), never)
    return np.array([root(index) for index in range(size)], dtype=np.int64)


# --- 7. confidence and output ------------------------------------------------------------------


def golden_key(anchor_client_id: str) -> str:
    """Stable surrogate key of a golden client: hash of its smallest member client_id."""
    return hashlib.md5(anchor_client_id.encode("utf-8")).hexdigest()


def membership_confidence(
    size: int, pairs: np.ndarray, match_probability: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per record: the probability that it belongs to its cluster, its best partner and that
    pair's probability.

    In a cluster with others: its strongest match probability to a fellow member. Alone: one
    minus its strongest match probability to any record (1.0 when it had no candidate)."""
    record = np.concatenate([pairs[:, 0], pairs[:, 1]])
    partner = np.concatenate([pairs[:, 1], pairs[:, 0]])
    # Fellow members rank above every other partner: +2 lifts them over any probability.
    rank = np.concatenate([match_probability, match_probability])
    rank = rank + 2.0 * (labels[record] == labels[partner])
    best_rank = np.full(size, -1.0)
    np.maximum.at(best_rank, record, rank)
    best = rank == best_rank[record]
    best_partner = np.full(size, size, dtype=np.int64)
    np.minimum.at(best_partner, record[best], partner[best])
    best_partner[best_partner == size] = -1
    best_probability = np.where(best_rank >= 0, best_rank % 2.0, np.nan)
    # rank % 2 turns a fellow member's 3.0 (probability 1.0) into 1.0, not 0.0
    best_probability = np.where(best_rank == 3.0, 1.0, best_probability)
    in_cluster = np.bincount(labels, minlength=size)[labels] > 1
    confidence = np.where(in_cluster, best_probability, 1.0 - best_probability)
    confidence = np.where(np.isnan(best_probability), 1.0, confidence)
    return np.round(confidence, 4), best_partner, best_probability


def refused_force_matches(
    outcomes: pd.DataFrame, client_ids: np.ndarray, labels: np.ndarray
) -> pd.DataFrame:
    """Outcomes with each applied force_match whose records did not end in one golden client
    (a never_match crossed it) reported as refused_by_never_match, with a warning."""
    applied = outcomes.index[
        (outcomes["status"] == "honoured") & (outcomes["decision"] == "force_match")
    ]
    position = record_positions(client_ids)
    left = position.reindex(outcomes.loc[applied, "left_client_id"]).to_numpy(dtype=np.int64)
    right = position.reindex(outcomes.loc[applied, "right_client_id"]).to_numpy(dtype=np.int64)
    refused = applied[labels[left] != labels[right]]
    for row in refused:
        warnings.warn(
            f"steward decision force_match between {outcomes.at[row, 'left_client_id']} and "
            f"{outcomes.at[row, 'right_client_id']} not applied: refused_by_never_match",
            stacklevel=2,
        )
    return outcomes.assign(
        status=np.where(outcomes.index.isin(refused), "refused_by_never_match", outcomes["status"])
    )


class Linkage(NamedTuple):
    """What the dedupe found: one row per record, the explained pairs, the fitted parameters
    and what became of each steward decision."""

    records: pd.DataFrame
    pairs: pd.DataFrame
    parameters: pd.DataFrame
    decisions: pd.DataFrame


RECORD_COLUMNS = [
    "client_id",
    "source_system",
    "client_key",
    "match_confidence",
    "best_match_client_id",
    "best_match_probability",
    "cluster_size",
]


def explained_pairs(
    features: pd.DataFrame,
    scored: ScoredPairs,
    labels: np.ndarray,
    threshold: float,
    decisions: Decisions,
) -> pd.DataFrame:
    """The scored pairs worth explaining: above PAIR_OUTPUT_FLOOR, named by a steward, between
    identical records, or inside a group the matched pairs would join (those are what the chain
    guard looked at)."""
    size = len(features)
    codes = pair_codes(scored.pairs, size)
    forced = contains(codes, pair_codes(decisions.force, size))
    never = contains(codes, pair_codes(decisions.never, size))
    matched = scored.pairs[scored.match_probability >= threshold]
    group = connected_components(size, np.vstack([matched, decisions.force]).astype(np.int64))
    same_group = group[scored.pairs[:, 0]] == group[scored.pairs[:, 1]]
    identical = identical_fields(features, scored.pairs)
    keep = (scored.match_probability >= PAIR_OUTPUT_FLOOR) | forced | never | same_group | identical
    pairs, levels, weights = scored.pairs[keep], scored.levels[keep], scored.weights[keep]
    rule_names = np.array(list(BLOCKING_RULE_FIELDS))
    blocked_by = [
        ",".join(rule_names[[(mask >> bit) & 1 == 1 for bit in range(len(rule_names))]])
        or "cluster_check"
        for mask in scored.rules[keep]
    ]
    client_ids = features["client_id"].to_numpy(dtype=object)
    steward = np.where(forced[keep], "force_match", np.where(never[keep], "never_match", None))
    probability_kept = scored.match_probability[keep]
    same_cluster = labels[pairs[:, 0]] == labels[pairs[:, 1]]
    model_match = probability_kept >= threshold
    decided_by = np.select(
        [
            steward != None,  # noqa: E711 - element-wise comparison on an object array
            identical[keep] & same_cluster,
            model_match & ~same_cluster,
        ],
        ["steward", "identical", "chain_guard"],
        "model",
    )
    frame = {
        "left_client_id": client_ids[pairs[:, 0]],
        "right_client_id": client_ids[pairs[:, 1]],
        "blocked_by": blocked_by,
    }
    for column, (field, comparison) in enumerate(COMPARISONS.items()):
        frame[f"{field}_level"] = np.array(("missing", *comparison.labels), dtype=object)[
            levels[:, column]
        ]
        frame[f"{field}_weight"] = np.round(weights[:, column], 4)
    frame.update(
        {
            "match_weight": np.round(scored.match_weight[keep], 4),
            "match_probability": np.round(probability_kept, 6),
            "steward_decision": steward,
            "is_match": same_cluster,
            "decided_by": decided_by,
        }
    )
    return pd.DataFrame(frame).sort_values(["left_client_id", "right_client_id"], ignore_index=True)


def parameter_rows(parameters: Parameters) -> pd.DataFrame:
    rows = []
    for field, comparison in COMPARISONS.items():
        weights = level_weights(parameters, field)
        for level, label in enumerate(comparison.labels):
            m, u = parameters.m[field][level], parameters.u[field][level]
            rows.append(
                {
                    "parameter_name": f"{field}:{label}",
                    "field": field,
                    "comparison_level": label,
                    "m_probability": float(m),
                    "u_probability": float(u),
                    "match_weight": float(weights[level]),
                    "m_estimated": parameters.m_estimated[field],
                    "tf_adjusted": comparison.tf and label == "exact",
                }
            )
    rows.append(
        {
            "parameter_name": "prior",
            "field": None,
            "comparison_level": None,
            "m_probability": None,
            "u_probability": None,
            "match_weight": prior_weight(parameters.prior),
            "m_estimated": None,
            "tf_adjusted": None,
            "prior_probability": parameters.prior,
        }
    )
    rows += [
        {"parameter_name": f"em_iterations:{rule}", "em_iterations": iterations}
        for rule, iterations in parameters.em_iterations.items()
    ]
    return pd.DataFrame(rows)


def deduplicate_clients(
    clients: pd.DataFrame,
    decisions: pd.DataFrame | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> Linkage:
    """Golden client per record, with the pairs and parameters that explain it. threshold is a
    match probability in percent (85 = 0.85)."""
    if not 0 < threshold <= 100:
        raise ValueError(f"dedupe match threshold must be within (0, 100], got {threshold}")
    probability_threshold = threshold / 100
    features = prepare_features(clients)
    client_ids = features["client_id"].to_numpy(dtype=object)
    resolved = resolve_decisions(decisions, client_ids)
    pairs, rules = blocked_pairs(features)
    levels = comparison_levels(features, pairs[:, 0], pairs[:, 1])
    parameters = fit_parameters(features, pairs, rules, levels)
    blocked = score(features, pairs, rules, levels, parameters)
    strong = pairs[blocked.match_probability >= probability_threshold]
    extra = np.vstack(
        [
            pairs_inside_components(len(features), np.vstack([strong, resolved.force]), pairs),
            resolved.force,
            resolved.never,
        ]
    ).astype(np.int64)
    extra_codes = distinct(pair_codes(extra, len(features)))[0]
    extra = np.column_stack([extra_codes // len(features), extra_codes % len(features)])
    extra = extra[~contains(pair_codes(extra, len(features)), pair_codes(pairs, len(features)))]
    checked = score(
        features,
        extra,
        np.zeros(len(extra), dtype=np.int64),
        comparison_levels(features, extra[:, 0], extra[:, 1]),
        parameters,
    )
    scored = ScoredPairs(*(np.concatenate([a, b]) for a, b in zip(blocked, checked, strict=True)))
    # scored holds copies: at 1 M records the blocked pairs' arrays are 0.9 GB.
    del blocked, checked, pairs, rules, levels
    identical = identical_pairs(features)
    labels = cluster_records(
        len(features),
        scored.pairs,
        scored.match_probability,
        probability_threshold,
        resolved,
        identical,
    )
    # A steward's honoured force_match, or a copy, is certain: the pair counts as probability 1.
    forced = contains(
        pair_codes(scored.pairs, len(features)),
        pair_codes(np.vstack([resolved.force, identical]), len(features)),
    )
    same_cluster = labels[scored.pairs[:, 0]] == labels[scored.pairs[:, 1]]
    confidence, partner, partner_probability = membership_confidence(
        len(features),
        scored.pairs,
        np.where(forced & same_cluster, 1.0, scored.match_probability),
        labels,
    )
    records = pd.DataFrame(
        {
            "client_id": client_ids,
            "source_system": features["source_system"].to_numpy(dtype=object),
            "client_key": [golden_key(client_ids[label]) for label in labels],
            "match_confidence": confidence,
            "best_match_client_id": np.where(partner >= 0, client_ids[partner], None),
            "best_match_probability": np.round(partner_probability, 6),
            "cluster_size": np.bincount(labels, minlength=len(labels))[labels].astype(np.int64),
        },
        columns=RECORD_COLUMNS,
    )
    return Linkage(
        records=records,
        pairs=explained_pairs(features, scored, labels, probability_threshold, resolved),
        parameters=parameter_rows(parameters),
        decisions=refused_force_matches(resolved.outcomes, client_ids, labels),
    )


# Column types of the envelope dbt stores: rows of four kinds share one table, so every column
# is NULL on the other kinds' rows and needs a type that holds NULL.
ENVELOPE_TYPES = {
    "row_type": "string",
    **{column: "string" for column in ("client_id", "source_system", "client_key")},
    "match_confidence": "float64",
    "best_match_client_id": "string",
    "best_match_probability": "float64",
    "cluster_size": "Int64",
    "left_client_id": "string",
    "right_client_id": "string",
    "blocked_by": "string",
    **{
        column: dtype
        for field in FIELDS
        for column, dtype in ((f"{field}_level", "string"), (f"{field}_weight", "float64"))
    },
    "match_weight": "float64",
    "match_probability": "float64",
    "steward_decision": "string",
    "is_match": "boolean",
    "decided_by": "string",
    "parameter_name": "string",
    "field": "string",
    "comparison_level": "string",
    "m_probability": "float64",
    "u_probability": "float64",
    "m_estimated": "boolean",
    "tf_adjusted": "boolean",
    "prior_probability": "float64",
    "em_iterations": "Int64",
    "decision": "string",
    "status": "string",
}


def linkage_envelope(linkage: Linkage) -> pd.DataFrame:
    """One frame for dbt: record, pair, parameter and decision rows, told apart by row_type."""
    frame = pd.concat(
        [
            linkage.records.assign(row_type="record"),
            linkage.pairs.assign(row_type="pair"),
            linkage.parameters.assign(row_type="parameter"),
            linkage.decisions.assign(row_type="decision"),
        ],
        ignore_index=True,
    )
    return frame.reindex(columns=list(ENVELOPE_TYPES)).astype(ENVELOPE_TYPES)


# to_pandas and for_warehouse stand in every Python model: Snowflake runs each model file alone as
# a stored procedure, so the files cannot share a module.
def to_pandas(relation) -> pd.DataFrame:
    """DuckDB relations have .df(), Snowpark DataFrames .to_pandas(); Snowflake upper-cases."""
    frame = relation.to_pandas() if hasattr(relation, "to_pandas") else relation.df()
    frame.columns = [str(column).lower() for column in frame.columns]
    return frame


def for_warehouse(frame: pd.DataFrame, session) -> pd.DataFrame:
    """Snowpark keeps lower-case pandas names as quoted identifiers, which unquoted SQL cannot
    find; upper-case is what Snowflake stores unquoted names as."""
    if type(session).__module__.startswith("snowflake."):
        return frame.rename(columns=str.upper)
    return frame


def model(dbt, session):
    dbt.config(materialized="table", packages=["pandas", "numpy", "scipy", "rapidfuzz"])
    clients = to_pandas(dbt.ref("stg_crm__clients").select(*RECORD_FIELDS))
    decisions = to_pandas(dbt.ref("identity_decisions"))
    linkage = deduplicate_clients(
        clients, decisions, threshold=float(dbt.config.get("match_threshold"))
    )
    return for_warehouse(linkage_envelope(linkage), session)
