"""Fuzzy dedupe of staged client records into real-world clients (one cluster per golden client).

Pipeline, each step a pure pandas/numpy function tested in tests/python/test_client_dedupe.py:

1. ``prepare_features``: normalise every matching field (accents, case, punctuation, legal
   suffixes, nicknames, phone digits, address abbreviations).
2. ``candidate_pairs``: blocking on several keys, so a typo in one field cannot hide a pair, and
   never all pairs; oversized blocks fall back to a sorted-neighbourhood window.
3. ``score_pairs``: rapidfuzz similarity per field, combined into a 0-100 score as a weighted
   mean over the fields present on both sides (a missing field neither helps nor hurts).
4. ``cluster_records``: union-find over pairs at or above the threshold, strongest first, with a
   guard against chains: two clusters are not merged when any cross pair scores below
   ``min_link_score`` or the result would exceed ``max_cluster_size``.
5. ``membership_confidence``: a logistic of the score margin over the threshold.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from itertools import combinations

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

DEFAULT_THRESHOLD = 85.0
MAX_BLOCK_SIZE = 60
NEIGHBOURHOOD_WINDOW = 8
MAX_FIELD_LENGTH = 120
CONFIDENCE_SCALE = 4.0

# Weights reflect how much agreement on a field says about identity: identifiers issued to one
# client (tax id, email, phone, date of birth) weigh more than shared ones (postcode, address).
FIELD_WEIGHTS = {
    "name": 3.0,
    "tax_id": 3.0,
    "email": 2.5,
    "phone": 2.0,
    "date_of_birth": 2.5,
    "address": 1.5,
    "postcode": 1.0,
}

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
NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")
OUTPUT_COLUMNS = [
    "client_id",
    "source_system",
    "client_key",
    "match_confidence",
    "best_match_client_id",
    "best_match_score",
    "cluster_size",
]


# --- 1. features -------------------------------------------------------------------------------


def is_missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def fold_text(value: object) -> str:
    """Lower-case ASCII letters, digits and single spaces; accents and punctuation removed."""
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


def name_core(normalised_name: str) -> str:
    """Distinctive name tokens: the normalised name without legal forms."""
    return " ".join(token for token in normalised_name.split() if token not in LEGAL_FORM_TOKENS)


def normalise_address(value: object) -> str:
    tokens = [ADDRESS_WORDS.get(token, token) for token in fold_text(value).split()]
    return " ".join(tokens)[:MAX_FIELD_LENGTH]


def compact(value: object) -> str:
    """Letters and digits only, upper case: for postcodes, tax ids and dates."""
    return fold_text(value).replace(" ", "").upper()[:MAX_FIELD_LENGTH]


def phone_key(value: object) -> str:
    """The last nine digits: equal for +44 20 7946 0123, (020) 7946-0123 and 02079460123."""
    digits = "" if is_missing(value) else re.sub(r"[^0-9]", "", str(value))
    return digits[-9:] if len(digits) >= 7 else ""


def map_distinct(values: pd.Series, normalise) -> pd.Series:
    """values.map(normalise), calling it once per distinct value: postcodes, dates of birth and
    shared addresses repeat across records, and normalising is per-character Python."""
    codes, distinct = pd.factorize(values)
    normalised = np.array([*map(normalise, distinct), normalise(None)], dtype=object)
    return pd.Series(normalised[codes], index=values.index)


def prepare_features(clients: pd.DataFrame) -> pd.DataFrame:
    """Normalised matching fields, one row per client record, in a stable order (by client_id)."""
    records = clients.sort_values("client_id", kind="stable").reset_index(drop=True)
    features = pd.DataFrame(
        {
            "client_id": records["client_id"].astype(str),
            "source_system": records["source_system"],
            "name": map_distinct(records["client_name"], normalise_name),
            "tax_id": map_distinct(records["tax_id"], compact),
            "email": records["email"].map(
                lambda value: "" if is_missing(value) else str(value).strip().casefold()
            ),
            "phone": map_distinct(records["phone"], phone_key),
            "date_of_birth": map_distinct(records["date_of_birth"], compact),
            "address": map_distinct(records["address_line"], normalise_address),
            "postcode": map_distinct(records["postcode"], compact),
        }
    )
    features["name_core"] = features["name"].map(name_core)
    return features


# --- 2. blocking -------------------------------------------------------------------------------


def blocking_keys(features: pd.DataFrame) -> dict[str, pd.Series]:
    """Several independent keys; an empty string means 'no key' for that record."""
    core_tokens = features["name_core"].str.split()
    name_prefix = core_tokens.map(lambda tokens: "|".join(token[:4] for token in tokens[:2]))
    initials = core_tokens.map(lambda tokens: "".join(token[:1] for token in tokens))
    house_number = features["address"].str.extract(r"\b(\d+)\b", expand=False).fillna("")
    both = lambda left, right: np.where((left != "") & (right != ""), left + "#" + right, "")  # noqa: E731
    return {
        "tax_id": features["tax_id"],
        "email": features["email"],
        "phone": features["phone"],
        "name_prefix": name_prefix,
        "postcode_house": pd.Series(both(features["postcode"], house_number), index=features.index),
        "birth_initials": pd.Series(
            both(features["date_of_birth"], initials), index=features.index
        ),
    }


def pairs_within_blocks(keys: pd.Series, order_by: pd.Series) -> np.ndarray:
    """(i, j) index pairs, i < j, of records sharing a key. Blocks above MAX_BLOCK_SIZE only
    compare records within NEIGHBOURHOOD_WINDOW of each other when sorted by name, so one
    common key value cannot make the work quadratic."""
    present = keys.to_numpy() != ""
    if present.sum() < 2:
        return np.empty((0, 2), dtype=np.int64)
    rows = np.flatnonzero(present)
    # Integer codes stand in for the strings: the loop needs each block contiguous and in name
    # order inside, not blocks in key order, and sorting the strings cost more than the rest.
    block = pd.factorize(keys.to_numpy()[present])[0]
    rank = pd.factorize(order_by.to_numpy()[present], sort=True)[0]
    by_block = np.lexsort((rows, rank, block))
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
    found = np.vstack(pairs)
    return np.sort(found, axis=1)


def candidate_pairs(features: pd.DataFrame) -> np.ndarray:
    """Unique (i, j) pairs, i < j, sharing at least one blocking key, sorted."""
    # Ranked once here rather than once per blocking key.
    name_rank = pd.Series(pd.factorize(features["name"], sort=True)[0], index=features.index)
    blocks = [pairs_within_blocks(keys, name_rank) for keys in blocking_keys(features).values()]
    found = np.vstack([np.empty((0, 2), dtype=np.int64), *blocks])
    if len(found) == 0:
        return found
    return np.unique(found, axis=0)


# --- 3. scoring --------------------------------------------------------------------------------

FIELD_SCORERS = {
    "name": fuzz.token_sort_ratio,
    "tax_id": fuzz.ratio,
    "email": fuzz.ratio,
    "phone": fuzz.ratio,
    "date_of_birth": fuzz.ratio,
    "address": fuzz.token_sort_ratio,
    "postcode": fuzz.ratio,
}


def field_similarities(features: pd.DataFrame, left: np.ndarray, right: np.ndarray) -> pd.DataFrame:
    """0-100 similarity per field for each pair; NaN where either side lacks the field."""
    similarities = {}
    for field, scorer in FIELD_SCORERS.items():
        values = features[field].to_numpy(dtype=object)
        left_values, right_values = values[left], values[right]
        both_present = (left_values != "") & (right_values != "")
        scores = np.full(len(left), np.nan)
        if both_present.any():
            scores[both_present] = process.cpdist(
                left_values[both_present], right_values[both_present], scorer=scorer, workers=-1
            )
        similarities[field] = scores
    name_values = features["name_core"].to_numpy(dtype=object)
    core_present = (name_values[left] != "") & (name_values[right] != "")
    if core_present.any():
        # A legal form written differently (Ltd vs Inc) must not outweigh an identical core name.
        core_scores = process.cpdist(
            name_values[left][core_present],
            name_values[right][core_present],
            scorer=fuzz.token_sort_ratio,
            workers=-1,
        )
        similarities["name"][core_present] = np.fmax(
            similarities["name"][core_present], core_scores
        )
    return pd.DataFrame(similarities)


def combine_scores(similarities: pd.DataFrame) -> np.ndarray:
    """Weighted mean over the fields present on both sides; NaN when no field is comparable."""
    weights = pd.Series(FIELD_WEIGHTS)[similarities.columns].to_numpy()
    values = similarities.to_numpy()
    present = ~np.isnan(values)
    weight_sum = (present * weights).sum(axis=1)
    weighted = np.where(present, values, 0.0) @ weights
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(weight_sum > 0, weighted / weight_sum, np.nan)


def score_pairs(features: pd.DataFrame, pairs: np.ndarray) -> np.ndarray:
    if len(pairs) == 0:
        return np.empty(0)
    return combine_scores(field_similarities(features, pairs[:, 0], pairs[:, 1]))


# --- 4. clustering -----------------------------------------------------------------------------

MAX_PRESCORED_COMPONENT = 300


def connected_components(size: int, edges: np.ndarray) -> np.ndarray:
    """Component label (smallest member index) per node of an undirected graph."""
    parent = np.arange(size)

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for left, right in edges:
        left_root, right_root = root(left), root(right)
        if left_root != right_root:
            parent[max(left_root, right_root)] = min(left_root, right_root)
    return np.array([root(index) for index in range(size)])


def prescore_components(features: pd.DataFrame, strong_pairs: np.ndarray) -> dict:
    """Scores of every pair inside each component the strong pairs could form, in one batch:
    the chain guard needs them, and scoring them one merge at a time costs a thread-pool start
    per call. Components larger than MAX_PRESCORED_COMPONENT are left to on-demand scoring."""
    labels = connected_components(len(features), strong_pairs)
    sizes = np.bincount(labels, minlength=len(labels))[labels]
    # Only components of three or more members are split out: iterating every group, nearly
    # all of them single records, cost more than the scoring.
    members = np.flatnonzero((sizes >= 3) & (sizes <= MAX_PRESCORED_COMPONENT))
    members = members[np.argsort(labels[members], kind="stable")]
    components = np.split(members, np.flatnonzero(np.diff(labels[members])) + 1)
    combos = [np.array(list(combinations(group, 2))) for group in components if len(group)]
    if not combos:
        return {}
    within = np.vstack(combos)
    return dict(zip(map(tuple, within.tolist()), score_pairs(features, within), strict=True))


def cluster_records(
    features: pd.DataFrame,
    pairs: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    min_link_score: float,
    max_cluster_size: int,
) -> np.ndarray:
    """Cluster label (the smallest member index) per record.

    Pairs at or above the threshold are merged strongest first (ties by index, so the result is
    deterministic). A merge is refused when the two clusters would exceed max_cluster_size or
    when any pair across them scores below min_link_score: A~B and B~C must not glue A to a
    clearly different C."""
    strong = np.flatnonzero(scores >= threshold)
    order = strong[np.lexsort((pairs[strong, 1], pairs[strong, 0], -scores[strong]))]
    known_scores = prescore_components(features, pairs[strong])
    parent = np.arange(len(features))
    members = {index: [index] for index in range(len(features))}

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    def weakest_link(left_members: list[int], right_members: list[int]) -> float:
        cross = [(min(a, b), max(a, b)) for a in left_members for b in right_members]
        missing = [pair for pair in cross if pair not in known_scores]
        if missing:
            known_scores.update(zip(missing, score_pairs(features, np.array(missing)), strict=True))
        return np.nanmin(np.append([known_scores[pair] for pair in cross], np.inf))

    for left, right in pairs[order]:
        left_root, right_root = root(left), root(right)
        if left_root == right_root:
            continue
        left_members, right_members = members[left_root], members[right_root]
        if len(left_members) + len(right_members) > max_cluster_size:
            continue
        if (len(left_members) > 1 or len(right_members) > 1) and weakest_link(
            left_members, right_members
        ) < min_link_score:
            continue
        keep, absorb = sorted((left_root, right_root))
        parent[absorb] = keep
        members[keep] = left_members + right_members
        del members[absorb]
    return np.array([root(index) for index in range(len(features))])


# --- 5. confidence and output ------------------------------------------------------------------


def membership_confidence(
    best_score: np.ndarray, in_cluster: np.ndarray, threshold: float
) -> np.ndarray:
    """Probability-like confidence that a record's membership is right.

    For a record clustered with others it is a logistic of how far its best link to the cluster
    lies above the threshold; for a singleton, of how far its best rejected candidate lies below
    it (1.0 when no candidate was found). At the threshold itself the confidence is 0.5."""
    margin = np.where(in_cluster, best_score - threshold, threshold - best_score)
    confidence = 1.0 / (1.0 + np.exp(-margin / CONFIDENCE_SCALE))
    return np.round(np.where(np.isnan(best_score), 1.0, confidence), 4)


def golden_key(anchor_client_id: str) -> str:
    """Stable surrogate key of a golden client: hash of its smallest member client_id."""
    return hashlib.md5(anchor_client_id.encode("utf-8")).hexdigest()


def best_links(
    size: int, pairs: np.ndarray, scores: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per record: best score and partner among same-cluster pairs if it has any, else among
    all its candidate pairs (its nearest miss)."""
    both = np.vstack([pairs, pairs[:, ::-1]])
    both_scores = np.concatenate([scores, scores])
    valid = ~np.isnan(both_scores)
    frame = pd.DataFrame(
        {"record": both[valid, 0], "partner": both[valid, 1], "score": both_scores[valid]}
    )
    frame["same_cluster"] = labels[frame["record"]] == labels[frame["partner"]]
    frame = frame.sort_values(
        ["record", "same_cluster", "score", "partner"], ascending=[True, False, False, True]
    )
    best = frame.drop_duplicates("record")
    best_score = np.full(size, np.nan)
    best_partner = np.full(size, -1)
    best_score[best["record"]] = best["score"]
    best_partner[best["record"]] = best["partner"]
    return best_score, best_partner


def deduplicate_clients(
    clients: pd.DataFrame,
    threshold: float = DEFAULT_THRESHOLD,
    min_link_score: float | None = None,
    max_cluster_size: int = 12,
) -> pd.DataFrame:
    """One row per client record: its golden client_key and how confident the match is."""
    if not 0 <= threshold <= 100:
        raise ValueError(f"dedupe match threshold must be within 0-100, got {threshold}")
    if len(clients) == 0:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in OUTPUT_COLUMNS})
    min_link_score = threshold - 25 if min_link_score is None else min_link_score
    features = prepare_features(clients)
    pairs = candidate_pairs(features)
    scores = score_pairs(features, pairs)
    labels = cluster_records(features, pairs, scores, threshold, min_link_score, max_cluster_size)
    cluster_size = np.bincount(labels, minlength=len(labels))[labels]
    best_score, best_partner = best_links(len(features), pairs, scores, labels)
    client_ids = features["client_id"].to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "client_id": client_ids,
            "source_system": features["source_system"].to_numpy(dtype=object),
            "client_key": [golden_key(client_ids[label]) for label in labels],
            "match_confidence": membership_confidence(best_score, cluster_size > 1, threshold),
            "best_match_client_id": np.where(best_partner >= 0, client_ids[best_partner], None),
            "best_match_score": np.round(best_score, 2),
            "cluster_size": cluster_size.astype(np.int64),
        }
    )


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
    dbt.config(materialized="table", packages=["pandas", "numpy", "rapidfuzz"])
    clients = to_pandas(dbt.ref("stg_crm__clients"))
    clusters = deduplicate_clients(clients, threshold=float(dbt.config.get("match_threshold")))
    return for_warehouse(clusters, session)
