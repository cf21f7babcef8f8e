"""Unit tests for the pure functions of the client dedupe Python model (loaded by path)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest
from conftest import PROJECT_ROOT

MODEL_PATH = PROJECT_ROOT / "python_models" / "identity" / "int_clients_clustered.py"
spec = importlib.util.spec_from_file_location("int_clients_clustered", MODEL_PATH)
dedupe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dedupe)

COLUMNS = [
    "client_id",
    "source_system",
    "client_name",
    "tax_id",
    "email",
    "phone",
    "date_of_birth",
    "address_line",
    "postcode",
]


def clients(*records: dict) -> pd.DataFrame:
    rows = [{column: record.get(column) for column in COLUMNS} for record in records]
    return pd.DataFrame(rows, columns=COLUMNS)


BRENWICK = {
    "client_id": "SF-1",
    "source_system": "salesforce",
    "client_name": "Brenwick Logistics Ltd",
    "tax_id": "GB123456789",
    "email": "accounts@brenwick.co.uk",
    "phone": "+44 20 7946 0123",
    "address_line": "12 Harbour Road",
    "postcode": "EC1A 1BB",
}


def keys_of(result: pd.DataFrame) -> dict[str, str]:
    return dict(zip(result["client_id"], result["client_key"], strict=True))


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Smith, John", "John Smith"),
        ("Bill Smith", "William SMITH"),
        ("Brenwick Logistics Limited", "brenwick logistics ltd."),
        ("Kestrel & Marlow Partners", "Kestrel and Marlow Partners"),
        ("Müller GmbH", "Muller GMBH"),
        ("Søren Ærø", "Soren Aero"),
        ("  Zoë   Éloïse ", "Zoe Eloise"),
    ],
)
def test_names_normalise_order_case_accents_suffixes_and_nicknames(left, right):
    assert dedupe.normalise_name(left) == dedupe.normalise_name(right)


def test_phone_key_ignores_formatting_and_country_prefix():
    formats = ["+44 20 7946 0123", "(020) 7946-0123", "02079460123", "+44-20-7946-0123"]
    assert {dedupe.phone_key(value) for value in formats} == {"079460123"}
    assert dedupe.phone_key("123") == ""
    assert dedupe.phone_key(None) == ""


def test_blocking_finds_a_pair_whose_name_is_misspelt_at_the_start():
    records = clients(
        BRENWICK, {**BRENWICK, "client_id": "HS-1", "client_name": "Rbenwick Logistics Ltd"}
    )
    pairs = dedupe.candidate_pairs(dedupe.prepare_features(records))
    assert pairs.tolist() == [[0, 1]]


def test_blocking_never_compares_all_pairs():
    rng = np.random.default_rng(7)
    records = clients(
        *[
            {
                "client_id": f"C{index}",
                "client_name": f"{rng.integers(10**9)} Company",
                "email": f"user{index}@example.com",
                "postcode": f"P{rng.integers(50)}",
            }
            for index in range(3000)
        ]
    )
    pairs = dedupe.candidate_pairs(dedupe.prepare_features(records))
    # 'company' alone is dropped from the name key, so only rare shared prefixes pair up.
    assert len(pairs) < 3000 * 2999 / 2 / 100


def test_oversized_blocks_only_compare_neighbours():
    keys = pd.Series(["same"] * 500)
    order = pd.Series([f"name {index:04d}" for index in range(500)])
    pairs = dedupe.pairs_within_blocks(keys, order)
    assert 0 < len(pairs) <= 500 * dedupe.NEIGHBOURHOOD_WINDOW
    assert (np.abs(pairs[:, 1] - pairs[:, 0]) <= dedupe.NEIGHBOURHOOD_WINDOW).all()


def test_missing_fields_neither_help_nor_hurt():
    full = dedupe.prepare_features(clients(BRENWICK, {**BRENWICK, "client_id": "HS-1"}))
    sparse = dedupe.prepare_features(
        clients(
            BRENWICK,
            {
                "client_id": "HS-1",
                "client_name": BRENWICK["client_name"],
                "email": BRENWICK["email"],
            },
        )
    )
    pair = np.array([[0, 1]])
    assert dedupe.score_pairs(full, pair)[0] == pytest.approx(100)
    assert dedupe.score_pairs(sparse, pair)[0] == pytest.approx(100)


def test_a_differing_identifier_lowers_the_score():
    features = dedupe.prepare_features(
        clients(BRENWICK, {**BRENWICK, "client_id": "HS-1", "tax_id": "DE987654321"})
    )
    assert dedupe.score_pairs(features, np.array([[0, 1]]))[0] < 90


def test_realistic_duplicate_matches_and_namesake_does_not():
    duplicate = {
        **BRENWICK,
        "client_id": "HS-1",
        "client_name": "BRENWIKC LOGISTICS LIMITED",
        "tax_id": None,
        "phone": "(020) 7946-0123",
        "address_line": "12 Harbour Rd",
        "postcode": "EC1A1BB",
    }
    namesake = {
        "client_id": "D365-9",
        "client_name": "Brenwick Logistics Ltd",
        "tax_id": "GB555000111",
        "email": "info@brenwick-logistics.com",
        "phone": "+44 161 496 0000",
        "address_line": "4 Mill Lane",
        "postcode": "M1 1AA",
    }
    keys = keys_of(dedupe.deduplicate_clients(clients(BRENWICK, duplicate, namesake)))
    assert keys["SF-1"] == keys["HS-1"]
    assert keys["D365-9"] != keys["SF-1"]


def test_chain_guard_keeps_clearly_different_ends_apart():
    # B carries A's email and C's phone and nothing that contradicts either, so A~B and B~C are
    # perfect links, while A and C disagree on tax id and postcode.
    a = {
        "client_id": "A",
        "client_name": "Valtora Holdings",
        "email": "ops@valtora.com",
        "tax_id": "GB111111111",
        "postcode": "N1 1AA",
    }
    b = {
        "client_id": "B",
        "client_name": "Valtora Holdings",
        "email": "ops@valtora.com",
        "phone": "+44 20 3333 4444",
    }
    c = {
        "client_id": "C",
        "client_name": "Valtora Holdings",
        "phone": "+44 20 3333 4444",
        "tax_id": "GB999999999",
        "postcode": "SW9 9ZZ",
    }
    features = dedupe.prepare_features(clients(a, b, c))
    pairs = dedupe.candidate_pairs(features)
    scores = dedupe.score_pairs(features, pairs)
    labels = dedupe.cluster_records(features, pairs, scores, 85, 60, 12)
    assert labels[0] != labels[2]
    unguarded = dedupe.cluster_records(features, pairs, scores, 85, 0, 12)
    assert unguarded[0] == unguarded[2], "without the guard the chain would glue A to C"


def test_chain_guard_scores_on_demand_beyond_prescored_components(monkeypatch):
    monkeypatch.setattr(dedupe, "MAX_PRESCORED_COMPONENT", 0)
    test_chain_guard_keeps_clearly_different_ends_apart()


def test_cluster_size_is_capped():
    records = clients(*[{**BRENWICK, "client_id": f"SF-{index}"} for index in range(6)])
    result = dedupe.deduplicate_clients(records, max_cluster_size=4)
    assert result["cluster_size"].max() == 4


def test_confidence_is_half_at_threshold_and_grows_with_margin():
    confidence = dedupe.membership_confidence(
        np.array([85.0, 95.0, 75.0, 60.0, np.nan]), np.array([True, True, False, False, False]), 85
    )
    assert confidence[0] == pytest.approx(0.5)
    assert confidence[1] > 0.9
    assert confidence[2] > 0.9
    assert confidence[3] > confidence[2]
    assert confidence[4] == 1.0


def test_result_does_not_depend_on_input_order():
    records = clients(
        BRENWICK,
        {**BRENWICK, "client_id": "HS-1", "client_name": "Brenwick Logistics Limited"},
        {"client_id": "X-1", "client_name": "Someone Else", "email": "x@y.z"},
    )
    forward = dedupe.deduplicate_clients(records)
    backward = dedupe.deduplicate_clients(records.iloc[::-1])
    pd.testing.assert_frame_equal(forward, backward)


def test_zero_records_give_an_empty_result_with_the_output_columns():
    result = dedupe.deduplicate_clients(clients())
    assert result.empty
    assert list(result.columns) == dedupe.OUTPUT_COLUMNS


def test_one_record_is_its_own_confident_cluster():
    result = dedupe.deduplicate_clients(clients(BRENWICK))
    assert result["cluster_size"].tolist() == [1]
    assert result["match_confidence"].tolist() == [1.0]


def test_empty_names_long_strings_and_unicode_do_not_crash_or_over_merge():
    records = clients(
        {"client_id": "E1", "client_name": None},
        {"client_id": "E2", "client_name": "   "},
        {"client_id": "E3", "client_name": "x" * 1_000_000, "email": "long@example.com"},
        {"client_id": "E4", "client_name": "Société Générale d'Études", "email": "a@b.fr"},
        {"client_id": "E5", "client_name": "SOCIETE GENERALE D ETUDES", "email": "a@b.fr"},
    )
    keys = keys_of(dedupe.deduplicate_clients(records))
    assert keys["E4"] == keys["E5"]
    assert len({keys["E1"], keys["E2"], keys["E3"], keys["E4"]}) == 4


def test_threshold_outside_0_100_is_a_clear_error():
    with pytest.raises(ValueError, match="within 0-100"):
        dedupe.deduplicate_clients(clients(BRENWICK), threshold=120)
