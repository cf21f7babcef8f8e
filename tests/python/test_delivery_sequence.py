"""Ordinary deliveries never jam the warehouse, and an incremental build equals a full build.

The delivery_sequence fixture (tests/python/delivery_sequence.py) takes one warehouse file
through the deliveries of customer_analytics.deliveries as a daily job would — a first delivery,
a what-if build at an earlier date, a second delivery with seed changes and removed,
rejected-then-removed and re-keyed clients, a correction that withdraws the latest lines (so the
as-of date moves backwards), the second delivery again with --full-refresh, and the correction
again — and every build must pass with all its tests. A fresh file gets one full build of the
last delivery: every core relation and the incremental staging tables must hold the same rows;
assignments_fact, whose history is state rather than a function of the last delivery, must
agree on every client's current assignment.
"""

from __future__ import annotations

from delivery_sequence import WHAT_IF_DATE
from published_reader import content_hashes

from customer_analytics.deliveries import (
    CORRECTION_CUTOFF,
    NEW_NON_PRODUCT_CODE,
    REJECTED_THEN_REMOVED,
    REKEYED_CLIENT,
    REMOVED_CLIENT,
    WHITELISTED_CLIENT,
)

INCREMENTAL_STAGING = ("stage.base_crm__transactions", "stage.stg_crm__transactions_rejected")
CURRENT_ASSIGNMENTS = """
    select client_key, territory_key, advisor_key, tier, rule_id
    from core.assignments_fact where is_current order by client_key
"""


def test_a_what_if_build_writes_no_history(delivery_sequence):
    seen = delivery_sequence.seen
    assert seen["history_after_what_if"] == seen["history_after_first"]
    assert seen["what_if_current"] == [(WHAT_IF_DATE,)]


def test_a_removed_or_rekeyed_client_ends_its_history_and_the_build_passes(delivery_sequence):
    seen = delivery_sequence.seen
    fact = seen["fact_after_second"]
    for client_id in (REMOVED_CLIENT, REKEYED_CLIENT[0]):
        versions = [row for row in fact if row[0] == seen["keys"][client_id]]
        assert versions, client_id
        assert (versions[-1][5], versions[-1][6]) == ("client_retired", False), versions
    assert [row[6] for row in fact if row[0] == seen["new_key"]] == [True]


def test_a_changed_rule_closes_the_old_assignment_and_opens_a_current_one(delivery_sequence):
    seen = delivery_sequence.seen
    key = seen["keys"][WHITELISTED_CLIENT]
    versions = [row for row in seen["fact_after_second"] if row[0] == key]
    assert [(row[2], row[5], row[6]) for row in versions] == [
        ("GEO-GB", "reassigned", False),
        ("WL-HISTORY", None, True),
    ]
    assert versions[0][4] == versions[1][3]


def test_client_history_records_the_changed_email_and_the_retired_keys(delivery_sequence):
    seen = delivery_sequence.seen
    rows = seen["client_history_after_second"]
    assert len([row for row in rows if row[1] == "new.owner@example.com"]) == 1
    retired = {row[0] for row in rows if row[3]}
    assert {seen["keys"][REMOVED_CLIENT], seen["keys"][REKEYED_CLIENT[0]]} <= retired


def test_a_correction_that_moves_the_as_of_date_back_records_nothing_and_warns(
    delivery_sequence,
):
    seen = delivery_sequence.seen
    assert seen["history_after_correction"] == seen["history_after_second"]
    assert "warn_on_history_not_recorded" in seen["correction_output"]
    assert seen["history_after_second_again"] == seen["history_after_second"]


def test_lines_of_a_client_record_that_left_the_delivery_are_unknown_clients(delivery_sequence):
    sql = (
        "select client_match_status, count(*) from core.transactions_fact"
        f" where source_client_id in ('{REJECTED_THEN_REMOVED}', '{REMOVED_CLIENT}') group by 1"
    )
    daily = delivery_sequence.daily.rows(sql)
    assert daily == delivery_sequence.full.rows(sql)
    assert [status for status, _ in daily] == ["unknown_client"]


def test_a_code_added_to_the_non_product_seed_reaches_lines_already_loaded(delivery_sequence):
    sql = (
        "select count(*), count(*) filter (where is_non_product) from core.transactions_fact"
        f" where product_key = '{NEW_NON_PRODUCT_CODE}'"
    )
    [(lines, flagged)] = delivery_sequence.daily.rows(sql)
    assert lines > 0 and flagged == lines


def test_every_core_relation_equals_a_full_build_of_the_last_delivery(delivery_sequence):
    daily, full = delivery_sequence.daily, delivery_sequence.full
    [(as_of,)] = daily.rows("select cast(max(as_of_date) as varchar) from core.rfm")
    assert as_of == CORRECTION_CUTOFF
    expected = content_hashes(full.path, ("core",)) | full.hashes(*INCREMENTAL_STAGING)
    actual = content_hashes(daily.path, ("core",)) | daily.hashes(*INCREMENTAL_STAGING)
    assert len(expected) > 25 and expected.keys() == actual.keys()
    # History is state grown by the builds, not a function of the last delivery: assignments_fact
    # must agree on the current assignments (below); score_drift compares the dates each file
    # recorded (test_score_drift_compares_the_recorded_deliveries).
    for name in ("core.assignments_fact", "core.score_drift"):
        expected.pop(name), actual.pop(name)
    assert {name for name in expected if expected[name] != actual[name]} == set()
    assert daily.rows(CURRENT_ASSIGNMENTS) == full.rows(CURRENT_ASSIGNMENTS)


def test_score_drift_compares_the_recorded_deliveries(delivery_sequence):
    sql = (
        "select cast(as_of_date as varchar), cast(previous_as_of_date as varchar), psi"
        " from core.score_drift where score_name = 'churn_probability' order by 1"
    )
    # The daily file recorded the first and second deliveries (not the what-if build, nor the
    # correction, whose as-of date moved back): the second is compared with the first.
    (first, no_previous, no_psi), (second, previous, psi) = delivery_sequence.daily.rows(sql)
    assert (no_previous, no_psi) == (None, None)
    assert first < CORRECTION_CUTOFF < second and previous == first and psi >= 0
    assert delivery_sequence.full.rows(sql) == [(CORRECTION_CUTOFF, None, None)]


def test_history_refuses_an_earlier_date_unless_rewound(delivery_sequence):
    # Last: it rewinds the daily file's history.
    daily, correction = delivery_sequence.daily, delivery_sequence.deliveries["correction"]
    refused = daily.build(
        correction, "-s", "assignment_history",
        vars_="history_mode: record, as_of_date: '2025-07-01'", expect_ok=False,
    )  # fmt: skip
    assert "History records forward only" in refused and "2025-07-01" in refused
    daily.build(
        correction, "-s", "+assignment_history", "--indirect-selection", "cautious",
        vars_="history_mode: rewind, as_of_date: '2025-07-01'",
    )  # fmt: skip
    [(latest, retired)] = daily.rows(
        "select cast(max(recorded_as_of) as varchar), count(*) filter (where is_retired)"
        " from stage.assignment_history"
    )
    assert (latest, retired) == ("2025-07-01", 0)
