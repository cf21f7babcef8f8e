"""Unit tests for the pure functions of the Fellegi-Sunter client dedupe (loaded by path)."""

from __future__ import annotations

import importlib.util
import re

import numpy as np
import pandas as pd
import pytest
from conftest import PROJECT_ROOT

MODEL_PATH = PROJECT_ROOT / "python_models" / "identity" / "int_clients_clustered.py"
spec = importlib.util.spec_from_file_location("int_clients_clustered", MODEL_PATH)
dedupe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dedupe)

COLUMNS = list(dedupe.RECORD_FIELDS)


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


def keys_of(linkage) -> dict[str, str]:
    records = linkage.records
    return dict(zip(records["client_id"], records["client_key"], strict=True))


def decisions(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "left_client_id": left,
                "right_client_id": right,
                "decision": decision,
                "reason": "checked with the client",
                "decided_by": "steward@example.com",
                "decided_on": "2026-11-30",
            }
            for left, right, decision in rows
        ]
    )


def name_weights(names: list[str], pairs: list[list[int]]) -> np.ndarray:
    """The name weight of each given pair, with parameters fitted on records holding only these
    names."""
    records = clients(
        *[{"client_id": f"C{index:04d}", "client_name": name} for index, name in enumerate(names)]
    )
    features = dedupe.prepare_features(records)
    blocked, rules = dedupe.blocked_pairs(features)
    levels = dedupe.comparison_levels(features, blocked[:, 0], blocked[:, 1])
    parameters = dedupe.fit_parameters(features, blocked, rules, levels)
    chosen = np.array(pairs)
    weights = dedupe.field_weights(
        features,
        chosen[:, 0],
        chosen[:, 1],
        dedupe.comparison_levels(features, chosen[:, 0], chosen[:, 1]),
        parameters,
    )
    return weights[:, dedupe.FIELDS.index("name")]


def levels_of(kind: str, left: list[str], right: list[str]) -> list[int]:
    compare = dedupe.LEVEL_FUNCTIONS[kind]
    return compare(np.array(left, dtype=object), np.array(right, dtype=object)).tolist()


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
    assert len(pairs) < 3000 * 2999 / 2 / 100


def test_oversized_blocks_only_compare_neighbours():
    keys = np.zeros(500, dtype=np.int64)
    order = np.arange(500)
    pairs = dedupe.pairs_within_blocks(keys, order)
    assert 0 < len(pairs) <= 500 * dedupe.NEIGHBOURHOOD_WINDOW
    assert (np.abs(pairs[:, 1] - pairs[:, 0]) <= dedupe.NEIGHBOURHOOD_WINDOW).all()


def test_each_pair_records_the_rules_that_found_it():
    records = clients(BRENWICK, {**BRENWICK, "client_id": "HS-1", "tax_id": None})
    pairs, rules = dedupe.blocked_pairs(dedupe.prepare_features(records))
    found = {rule for bit, rule in enumerate(dedupe.BLOCKING_RULE_FIELDS) if rules[0] & (1 << bit)}
    assert pairs.tolist() == [[0, 1]]
    assert {"email", "phone", "name_prefix", "postcode_house"} <= found
    assert "tax_id" not in found


def test_distinct_and_contains_agree_with_numpy():
    values = np.array([5, 3, 5, 9, 3, 3])
    unique, inverse, counts = dedupe.distinct(values)
    assert unique.tolist() == [3, 5, 9]
    assert unique[inverse].tolist() == values.tolist()
    assert counts.tolist() == [3, 2, 1]
    assert dedupe.contains(values, np.array([3, 4])).tolist() == np.isin(values, [3, 4]).tolist()
    assert dedupe.contains(values, np.array([], dtype=np.int64)).tolist() == [False] * 6


# --- comparison levels ---------------------------------------------------------------------


def test_text_levels_exact_close_loose_and_else():
    assert levels_of(
        "text",
        ["brenwick logistics", "brenwick logistics", "jonathan", "alpha"],
        ["brenwick logistics", "brenwikc logistics", "jonothan smythe", "zulu"],
    ) == [4, 3, 2, 1]


def test_identifier_levels_exact_one_edit_and_else():
    assert levels_of("identifier", ["GB123", "GB123", "GB123"], ["GB123", "GB124", "DE999"]) == [
        3,
        2,
        1,
    ]


def test_a_transposition_is_one_edit():
    assert levels_of("identifier", ["GB123456"], ["GB124356"]) == [2]
    assert levels_of("date", ["19621105"], ["19261105"]) == [3]


def test_dates_compare_alike_as_text_timestamps_and_dates():
    """DuckDB hands DATE columns to Python as timestamps, Snowpark as dates."""
    as_text = ["1980-03-04", "1980-04-03"]
    for values in (as_text, pd.to_datetime(as_text), pd.to_datetime(as_text).date):
        records = clients(
            *[
                {"client_id": f"C{index}", "client_name": "Ann Lee", "date_of_birth": value}
                for index, value in enumerate(values)
            ]
        )
        features = dedupe.prepare_features(records)
        assert features["date_of_birth"].tolist() == ["19800304", "19800403"]
        levels = dedupe.comparison_levels(features, np.array([0]), np.array([1]))
        assert levels[0, dedupe.FIELDS.index("date_of_birth")] == 3


def test_date_levels_exact_one_edit_day_month_swap_same_year_and_else():
    assert levels_of(
        "date",
        ["19710406", "19710406", "19710406", "19710406", "19710406"],
        ["19710406", "19710407", "19710604", "19711225", "19800101"],
    ) == [4, 3, 3, 2, 1]


def test_a_field_missing_on_either_side_is_level_zero():
    features = dedupe.prepare_features(
        clients(BRENWICK, {"client_id": "HS-1", "client_name": BRENWICK["client_name"]})
    )
    levels = dedupe.comparison_levels(features, np.array([0]), np.array([1]))[0]
    named = dict(zip(dedupe.FIELDS, levels.tolist(), strict=True))
    assert named["name"] == 4
    assert {field for field, level in named.items() if level == 0} == {
        "tax_id",
        "email",
        "phone",
        "date_of_birth",
        "address",
        "postcode",
        "city",
    }


def test_names_differing_only_in_legal_form_compare_exact():
    features = dedupe.prepare_features(
        clients(
            {"client_id": "A", "client_name": "Brenwick Logistics Ltd"},
            {"client_id": "B", "client_name": "Brenwick Logistics Inc"},
        )
    )
    levels = dedupe.comparison_levels(features, np.array([0]), np.array([1]))
    assert levels[0, dedupe.FIELDS.index("name")] == 4


# --- parameters ----------------------------------------------------------------------------


def test_em_recovers_known_m_and_share_from_unlabelled_patterns():
    """Pairs drawn from a known model (30 % matches; m and u per field known); EM sees only the
    level patterns and the true u, and must find m and the match share again."""
    rng = np.random.default_rng(3)
    true_m = [np.array([0.05, 0.15, 0.8]), np.array([0.1, 0.2, 0.7]), np.array([0.02, 0.98])]
    true_u = [np.array([0.9, 0.08, 0.02]), np.array([0.85, 0.1, 0.05]), np.array([0.95, 0.05])]
    size = 200_000
    is_match = rng.random(size) < 0.3
    levels = np.column_stack(
        [
            np.where(
                is_match,
                rng.choice(len(m), size, p=m),
                rng.choice(len(u), size, p=u),
            )
            + 1
            for m, u in zip(true_m, true_u, strict=True)
        ]
    )
    patterns, counts = dedupe.distinct_patterns(levels)
    starting = [np.linspace(1, 3, len(m)) / np.linspace(1, 3, len(m)).sum() for m in true_m]
    fitted, share, iterations = dedupe.em_fit(patterns, counts.astype(float), true_u, starting)
    assert share == pytest.approx(0.3, abs=0.01)
    for estimate, truth in zip(fitted, true_m, strict=True):
        np.testing.assert_allclose(estimate, truth, atol=0.02)
    assert 1 < iterations < dedupe.EM_MAX_ITERATIONS


def test_u_of_an_exact_match_comes_from_value_frequencies():
    codes = np.array([0, 0, 1, 2, -1])  # a, a, b, c, missing
    agree, both_present = dedupe.agreeing_pairs(codes)
    assert (agree, both_present) == (1.0, 6.0)


def test_a_common_value_weighs_less_than_a_rare_one():
    """Term-frequency adjustment: 'smith' held by 300 of 1,000 records says less than a
    surname held by two."""
    names = ["smith"] * 300 + ["przybylski"] * 2 + [f"name{index}" for index in range(698)]
    smith, rare = name_weights(names, [[0, 1], [300, 301]])
    assert rare > smith + 5


def test_a_weaker_level_never_weighs_more_than_a_stronger_one():
    parameters = dedupe.Parameters(
        m={"city": np.array([0.01, 0.01, 0.01, 0.97])},
        u={"city": np.array([0.97, 0.01, 0.000001, 0.02])},
        m_estimated={},
        term_frequencies={},
        prior=0.001,
        em_iterations={},
    )
    weights = dedupe.level_weights(parameters, "city")
    assert (np.diff(weights) >= 0).all()
    assert weights[-1] == pytest.approx(np.log2(0.97 / 0.02))


def test_missing_fields_neither_help_nor_hurt():
    full = clients(BRENWICK, {**BRENWICK, "client_id": "HS-1"})
    sparse = clients(BRENWICK, {"client_id": "HS-1", "client_name": BRENWICK["client_name"]})
    for records in (full, sparse):
        pairs = dedupe.linkage_envelope(dedupe.deduplicate_clients(records))
        pair = pairs[pairs["row_type"] == "pair"].iloc[0]
        missing = [field for field in dedupe.FIELDS if pair[f"{field}_level"] == "missing"]
        assert all(pair[f"{field}_weight"] == 0 for field in missing)
        present = [field for field in dedupe.FIELDS if field not in missing]
        assert all(pair[f"{field}_weight"] > 0 for field in present)


def test_a_differing_identifier_is_evidence_against_a_match():
    records = clients(BRENWICK, {**BRENWICK, "client_id": "HS-1", "tax_id": "DE987654321"})
    pair = dedupe.deduplicate_clients(records).pairs.iloc[0]
    assert pair["tax_id_level"] == "else"
    assert pair["tax_id_weight"] < -3


# --- matching end to end -------------------------------------------------------------------


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


def chain() -> pd.DataFrame:
    """B carries A's email and C's phone and nothing that contradicts either, so A~B and B~C are
    strong links, while A and C disagree on tax id and postcode."""
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
    return clients(a, b, c)


def test_chain_guard_keeps_clearly_different_ends_apart():
    linkage = dedupe.deduplicate_clients(chain())
    keys = keys_of(linkage)
    assert keys["A"] != keys["C"]
    pairs = linkage.pairs.set_index(["left_client_id", "right_client_id"])
    assert pairs.loc[("A", "C"), "match_probability"] < dedupe.CANNOT_LINK_PROBABILITY
    # One of the two strong links was refused because of A~C, and says so.
    assert (pairs["decided_by"] == "chain_guard").sum() == 1


def test_chain_guard_is_what_keeps_them_apart(monkeypatch):
    monkeypatch.setattr(dedupe, "CANNOT_LINK_PROBABILITY", 0.0)
    keys = keys_of(dedupe.deduplicate_clients(chain()))
    assert keys["A"] == keys["C"], "without the guard the chain would glue A to C"


def test_no_cap_on_cluster_size_a_client_entered_fifteen_times_is_one_client():
    typos = ["", "e", "ee", "x", "Lt", "s", "ss", "o", "t", "n", "l", "g", "k", "w", "z"]
    records = clients(
        *[
            {
                **BRENWICK,
                "client_id": f"SF-{index:02d}",
                "client_name": f"Brenwick{suffix} Logistics",
                "phone": None if index % 2 else BRENWICK["phone"],
            }
            for index, suffix in enumerate(typos)
        ]
    )
    linkage = dedupe.deduplicate_clients(records)
    assert linkage.records["client_key"].nunique() == 1
    assert linkage.records["cluster_size"].tolist() == [15] * 15


def test_all_records_identical_form_one_client():
    records = clients(*[{**BRENWICK, "client_id": f"SF-{index:03d}"} for index in range(60)])
    assert dedupe.deduplicate_clients(records).records["client_key"].nunique() == 1


def test_one_name_shared_by_5000_records_stays_bounded_and_apart():
    records = clients(
        *[
            {
                "client_id": f"C{index:05d}",
                "client_name": "John Smith",
                "email": f"john.smith{index}@example.com",
                "postcode": f"P{index % 97}",
            }
            for index in range(5000)
        ]
    )
    features = dedupe.prepare_features(records)
    assert len(dedupe.candidate_pairs(features)) < 5000 * 40
    linkage = dedupe.deduplicate_clients(records)
    # The same common name and different emails: namesakes, not one client.
    assert linkage.records["client_key"].nunique() > 4900


def test_records_with_nothing_but_a_name_and_blank_names_do_not_crash_or_merge_blanks():
    records = clients(
        {"client_id": "A", "client_name": "Przybylski Wojciechowska"},
        {"client_id": "B", "client_name": "Przybylski Wojciechowska"},
        {"client_id": "C", "client_name": None},
        {"client_id": "D", "client_name": "   "},
    )
    linkage = dedupe.deduplicate_clients(records)
    keys = keys_of(linkage)
    assert keys["C"] != keys["D"]
    assert len(set(keys.values())) >= 3


# --- steward decisions ---------------------------------------------------------------------


def namesakes() -> pd.DataFrame:
    return clients(
        BRENWICK,
        {**BRENWICK, "client_id": "HS-1", "client_name": "Brenwick Logistics Limited"},
        {"client_id": "X-1", "client_name": "Kestrel Marlow", "email": "k@m.example"},
    )


def test_force_match_joins_records_the_model_keeps_apart():
    linkage = dedupe.deduplicate_clients(namesakes(), decisions(("X-1", "SF-1", "force_match")))
    keys = keys_of(linkage)
    assert keys["X-1"] == keys["SF-1"] == keys["HS-1"]
    pair = linkage.pairs.set_index(["left_client_id", "right_client_id"]).loc[("SF-1", "X-1")]
    assert (pair["steward_decision"], pair["decided_by"], pair["is_match"]) == (
        "force_match",
        "steward",
        True,
    )
    assert linkage.decisions["status"].tolist() == ["honoured"]


def test_never_match_splits_records_the_model_joins():
    linkage = dedupe.deduplicate_clients(namesakes(), decisions(("HS-1", "SF-1", "never_match")))
    keys = keys_of(linkage)
    assert keys["HS-1"] != keys["SF-1"]
    pair = linkage.pairs.set_index(["left_client_id", "right_client_id"]).loc[("HS-1", "SF-1")]
    assert pair["match_probability"] > 0.85
    assert (pair["steward_decision"], pair["decided_by"], pair["is_match"]) == (
        "never_match",
        "steward",
        False,
    )


def test_a_decision_naming_a_record_not_delivered_is_reported_not_a_failure():
    with pytest.warns(UserWarning, match="record_not_delivered"):
        linkage = dedupe.deduplicate_clients(
            namesakes(), decisions(("SF-1", "GONE-7", "never_match"))
        )
    assert linkage.decisions["status"].tolist() == ["record_not_delivered"]
    assert keys_of(linkage)["SF-1"] == keys_of(linkage)["HS-1"]


def test_a_self_contradicting_decision_never_merges_and_warns():
    """A force B and B never A: never_match wins, documented in docs/identity.md."""
    with pytest.warns(UserWarning, match="contradicted_by_never_match"):
        linkage = dedupe.deduplicate_clients(
            namesakes(),
            decisions(("X-1", "SF-1", "force_match"), ("SF-1", "X-1", "never_match")),
        )
    keys = keys_of(linkage)
    assert keys["X-1"] != keys["SF-1"]
    assert sorted(linkage.decisions["status"]) == ["contradicted_by_never_match", "honoured"]


def test_a_forced_link_that_would_join_a_never_matched_pair_is_refused():
    """SF-1 and HS-1 never match; X-1 is forced onto both: only the first forced link holds."""
    linkage = dedupe.deduplicate_clients(
        namesakes(),
        decisions(
            ("SF-1", "HS-1", "never_match"),
            ("X-1", "SF-1", "force_match"),
            ("X-1", "HS-1", "force_match"),
        ),
    )
    keys = keys_of(linkage)
    assert keys["SF-1"] != keys["HS-1"]
    assert keys["X-1"] in {keys["SF-1"], keys["HS-1"]}
    assert sorted(linkage.decisions["status"]) == [
        "honoured",
        "honoured",
        "refused_by_never_match",
    ]


def test_a_decision_entered_twice_is_applied_and_reported_once():
    linkage = dedupe.deduplicate_clients(
        namesakes(), decisions(("X-1", "SF-1", "force_match"), ("X-1", "SF-1", "force_match"))
    )
    assert linkage.decisions["status"].tolist() == ["honoured"]


def test_force_match_merges_golden_clients_so_a_twin_follows_its_record():
    """X-1 forced onto SF-1: HS-1, the model's match of SF-1, is the same client too, although
    X-1 and HS-1 share nothing; and a forced record is certain of its client."""
    linkage = dedupe.deduplicate_clients(namesakes(), decisions(("X-1", "SF-1", "force_match")))
    assert len(set(keys_of(linkage).values())) == 1
    records = linkage.records.set_index("client_id")
    assert records.at["X-1", "match_confidence"] == 1.0
    assert records.at["X-1", "best_match_client_id"] == "SF-1"


def test_an_unknown_decision_is_a_clear_error():
    with pytest.raises(ValueError, match="force_match"):
        dedupe.deduplicate_clients(namesakes(), decisions(("SF-1", "HS-1", "merge")))


# --- confidence, output and awkward input ----------------------------------------------------


def test_membership_confidence_is_the_probability_of_belonging():
    pairs = np.array([[0, 1], [1, 2], [2, 3]])
    probability = np.array([0.97, 0.40, 0.10])
    labels = np.array([0, 0, 2, 3])
    confidence, partner, best = dedupe.membership_confidence(4, pairs, probability, labels)
    assert confidence.tolist() == [0.97, 0.97, 0.6, 0.9]
    assert partner.tolist() == [1, 0, 1, 2]
    assert dedupe.membership_confidence(1, np.empty((0, 2), int), np.empty(0), np.array([0]))[
        0
    ].tolist() == [1.0]


def test_result_does_not_depend_on_input_order():
    records = namesakes()
    forward = dedupe.linkage_envelope(dedupe.deduplicate_clients(records))
    backward = dedupe.linkage_envelope(dedupe.deduplicate_clients(records.iloc[::-1]))
    pd.testing.assert_frame_equal(forward, backward)


def test_zero_records_give_empty_outputs_with_their_columns():
    linkage = dedupe.deduplicate_clients(clients())
    assert linkage.records.empty
    assert list(linkage.records.columns) == dedupe.RECORD_COLUMNS
    assert linkage.pairs.empty
    assert set(dedupe.linkage_envelope(linkage)["row_type"]) == {"parameter"}


def test_one_record_is_its_own_confident_cluster():
    records = dedupe.deduplicate_clients(clients(BRENWICK)).records
    assert records["cluster_size"].tolist() == [1]
    assert records["match_confidence"].tolist() == [1.0]


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


def test_envelope_keeps_every_kind_of_row_with_typed_columns():
    envelope = dedupe.linkage_envelope(
        dedupe.deduplicate_clients(namesakes(), decisions(("HS-1", "SF-1", "never_match")))
    )
    assert envelope["row_type"].value_counts().to_dict() == {
        "parameter": sum(len(c.labels) for c in dedupe.COMPARISONS.values()) + 1,
        "record": 3,
        "pair": 1,
        "decision": 1,
    }
    assert list(envelope.columns) == list(dedupe.ENVELOPE_TYPES)
    assert envelope["is_match"].dtype == "boolean"


def test_threshold_outside_0_100_is_a_clear_error():
    with pytest.raises(ValueError, match=r"within \(0, 100\]"):
        dedupe.deduplicate_clients(clients(BRENWICK), threshold=120)


# --- docs that cannot drift ----------------------------------------------------------------


def test_identity_doc_states_the_models_rules_and_constants():
    doc = (PROJECT_ROOT / "docs" / "identity.md").read_text()
    rows = re.findall(r"^   \| `(\w+)` \| [^|]+ \| ([\w, ]+) \|$", doc, flags=re.MULTILINE)
    assert {rule: tuple(fields.split(", ")) for rule, fields in rows} == (
        dedupe.BLOCKING_RULE_FIELDS
    )
    for statement in (
        f"a block larger than {dedupe.MAX_BLOCK_SIZE}\n   records only compares each record "
        f"with its {dedupe.NEIGHBOURHOOD_WINDOW} neighbours",
        f"from {dedupe.U_SAMPLE_PAIRS:,} random",
        f"as if {dedupe.PSEUDO_PAIRS:,} more pairs",
        f"probability below\n   {dedupe.CANNOT_LINK_PROBABILITY}",
        f"with probability ≥ {dedupe.PAIR_OUTPUT_FLOOR}",
        f"of up to {dedupe.MAX_CHECKED_COMPONENT} records",
    ):
        # Compared with line breaks as spaces: reflowing a paragraph is not drift.
        assert " ".join(statement.split()) in " ".join(doc.split())
    for kind, labels in (
        ("text", dedupe.TEXT_LEVELS),
        ("identifier", dedupe.IDENTIFIER_LEVELS),
        ("date", dedupe.DATE_LEVELS),
    ):
        fields = [field for field, c in dedupe.COMPARISONS.items() if c.kind == kind]
        assert f"| {kind} | {', '.join(fields)} |" in doc
        assert len(labels) == len(dedupe.COMPARISONS[fields[0]].labels)


def test_pairs_mart_lists_the_compared_fields_in_the_models_order():
    sql = (PROJECT_ROOT / "models" / "marts" / "clients" / "client_match_pairs.sql").read_text()
    listed = re.search(r"set fields = \[(.*?)\]", sql, flags=re.DOTALL).group(1)
    assert tuple(re.findall(r"'(\w+)'", listed)) == dedupe.FIELDS


def test_each_blocking_rule_fitted_reports_its_em_iterations():
    names = ["smith"] * 300 + [f"name{index}" for index in range(700)]
    records = clients(
        *[
            {"client_id": f"C{index:04d}", "client_name": name, "postcode": f"P{index % 7}"}
            for index, name in enumerate(names)
        ]
    )
    parameters = dedupe.deduplicate_clients(records).parameters.set_index("parameter_name")
    fitted = parameters.filter(like="em_iterations:", axis=0)["em_iterations"]
    assert len(fitted) >= 1
    assert fitted.between(1, dedupe.EM_MAX_ITERATIONS).all()
    assert set(fitted.index.str.removeprefix("em_iterations:")) <= set(dedupe.BLOCKING_RULE_FIELDS)


def test_a_delivery_without_duplicates_merges_no_one():
    """2,000 different people drawn from few first and last names, emails derived from the
    name: EM must not learn that namesakes with different birth dates and phones match."""
    rng = np.random.default_rng(1)
    first = [
        "james",
        "mary",
        "robert",
        "patricia",
        "john",
        "jennifer",
        "michael",
        "linda",
        "david",
        "elizabeth",
    ]
    last = [
        "smith",
        "johnson",
        "williams",
        "brown",
        "jones",
        "garcia",
        "miller",
        "davis",
        "wilson",
        "taylor",
    ]
    cities = ["london", "leeds", "york", "bath", "hull", "derby"]
    rows = []
    for index in range(2000):
        given, family, city = rng.choice(first), rng.choice(last), rng.choice(cities)
        rows.append(
            {
                "client_id": f"C{index:05d}",
                "client_name": f"{given} {family}",
                "email": f"{given}.{family}{index}@mail.com",
                "phone": f"0{rng.integers(10**9, 10**10)}",
                "date_of_birth": f"{rng.integers(1940, 2000)}-{rng.integers(1, 13):02d}-"
                f"{rng.integers(1, 29):02d}",
                "address_line": f"{rng.integers(1, 200)} {rng.choice(['High', 'Mill'])} Road",
                "postcode": f"{city[:2].upper()}{rng.integers(1, 20)} {rng.integers(1, 9)}AB",
                "city": city,
            }
        )
    linkage = dedupe.deduplicate_clients(clients(*rows))
    assert linkage.records["client_key"].nunique() == 2000


def test_a_near_match_on_a_common_name_never_outweighs_an_exact_one():
    names = ["john smith"] * 200 + [f"person {index}" for index in range(800)] + ["john smyth"]
    exact, near = name_weights(names, [[0, 1], [0, 1000]])  # smith = smith, smith ~ smyth
    assert near <= exact


def test_hundreds_of_identical_records_are_one_client():
    """With 300 copies agreement is so common that the weights call it no evidence; records
    identical in every compared field are one client all the same."""
    records = clients(*[{**BRENWICK, "client_id": f"SF-{index:03d}"} for index in range(300)])
    linkage = dedupe.deduplicate_clients(records)
    assert linkage.records["client_key"].nunique() == 1
    assert (linkage.records["match_confidence"] == 1.0).all()
    assert set(linkage.pairs["decided_by"]) == {"identical"}


def test_names_in_other_scripts_are_compared_not_erased():
    features = dedupe.prepare_features(
        clients(
            {"client_id": "A", "client_name": "Сергей Иванов"},
            {"client_id": "B", "client_name": "Анна Петрова"},
            {"client_id": "C", "client_name": "王伟"},
        )
    )
    # Accents fold as in Latin names (й becomes и); the letters stay.
    assert features["name"].tolist() == ["иванов сергеи", "анна петрова", "王伟"]
    levels = dedupe.comparison_levels(features, np.array([0, 0]), np.array([1, 2]))
    assert levels[:, dedupe.FIELDS.index("name")].tolist() == [1, 1]


def test_golden_clients_do_not_depend_on_the_order_records_arrive_in():
    """Warehouse tables are sets (DuckDB runs with preserve_insertion_order = false): the dedupe
    must give the same envelope whatever order its inputs are read in."""
    from conftest import SAMPLE_DIR

    records = pd.read_csv(SAMPLE_DIR / "clients.csv", dtype=str, keep_default_na=False)
    records = records.replace("", None).drop_duplicates("client_id").head(3000)
    ids = records["client_id"].tolist()
    steward = decisions((ids[0], ids[1], "force_match"), (ids[2], ids[3], "never_match"))
    first = dedupe.linkage_envelope(dedupe.deduplicate_clients(records, steward))
    again = dedupe.linkage_envelope(
        dedupe.deduplicate_clients(
            records.sample(frac=1, random_state=11), steward.sample(frac=1, random_state=12)
        )
    )
    assert (first["row_type"] == "pair").sum() > 0
    pd.testing.assert_frame_equal(first, again)


def test_identical_fields_needs_every_field_equal_and_two_filled_in():
    codes = {field: [0, 0, -1, -1, 5, 5] for field in dedupe.FIELDS}
    codes["name"] = [0, 0, 1, 1, 5, 6]  # pair 2: only the name differs
    codes["email"] = [3, 3, 2, 2, 7, 7]
    features = pd.DataFrame({f"{field}_code": values for field, values in codes.items()})
    pairs = np.array([[0, 1], [2, 3], [4, 5]])
    # every field filled and equal; only name and email filled (two) and equal; name differs
    assert dedupe.identical_fields(features, pairs).tolist() == [True, True, False]
    one_filled = features.assign(email_code=[3, 3, -1, -1, 7, 7])
    assert dedupe.identical_fields(one_filled, pairs).tolist() == [True, False, False]
