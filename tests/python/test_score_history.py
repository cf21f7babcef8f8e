"""Scores over time: each recording build keeps the model metrics and the score distributions
in history (models/history), and score_drift compares each recorded as-of date with the one
before it by the population stability index (PSI) over fixed bins, warning from 0.25.

Starting from a copy of the sample build (built_warehouse, recorded at its own as-of date,
2026-01-01), three more builds record into the copy:
  1. the whole score pipeline at 2026-07-01 (history_mode record): six months without a single
     purchase, a deliberately shifted population; the warning must fire;
  2. the history models alone at 2026-07-02 over the unchanged client_scores: the same scores
     again, so PSI 0 and no warning;
  3. build 2 again: a recorded date rebuilt from the same input replaces its rows with the same
     rows, and the drift stays the same.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import run_dbt
from test_warehouse_build import query

SAMPLE_AS_OF = "2026-01-01"
SHIFTED_AS_OF = "2026-07-01"
SAME_SCORES_AS_OF = "2026-07-02"
SCORES = {"churn_probability", "p_alive", "clv_12m"}
HISTORY_MODELS = "model_metrics_history score_summary_history score_distribution_history"
DRIFT = "select score_name, cast(as_of_date as varchar), cast(previous_as_of_date as varchar),"
DRIFT += " psi, drift_level from core.score_drift order by 1, 2"


@dataclass
class Builds:
    path: Path
    shifted_output: str
    same_scores_output: str
    rebuild_output: str
    after_same_scores: dict
    after_rebuild: dict


def recorded(path: Path) -> dict:
    """Everything the history models and score_drift hold."""
    return {
        relation: query(path, f"select * from {relation} order by all")
        for relation in (
            "stage.model_metrics_history",
            "stage.score_summary_history",
            "stage.score_distribution_history",
            "core.score_drift",
        )
    }


def build(path: Path, tmp: Path, selection: list[str], as_of: str) -> str:
    run = run_dbt(
        ["build", "-s", *selection, "--exclude-resource-type", "unit_test",
         "--vars", f"{{history_mode: record, as_of_date: '{as_of}'}}"],
        tmp, path,
    )  # fmt: skip
    assert run.returncode == 0, run.output[-5000:]
    return run.output


@pytest.fixture(scope="module")
def builds(built_warehouse, tmp_path_factory) -> Builds:
    tmp = tmp_path_factory.mktemp("score_history")
    path = Path(shutil.copy(built_warehouse, tmp / "warehouse.duckdb"))
    shifted = build(path, tmp, ["+score_drift", "+model_metrics_history"], SHIFTED_AS_OF)
    history_only = [*HISTORY_MODELS.split(), "score_drift"]
    same_scores = build(path, tmp, history_only, SAME_SCORES_AS_OF)
    after_same_scores = recorded(path)
    rebuild = build(path, tmp, history_only, SAME_SCORES_AS_OF)
    return Builds(path, shifted, same_scores, rebuild, after_same_scores, recorded(path))


def warned(output: str) -> bool:
    return any("WARN" in line and "warn_on_score_drift" in line for line in output.splitlines())


def test_history_holds_every_recorded_date(builds):
    dates = [SAMPLE_AS_OF, SHIFTED_AS_OF, SAME_SCORES_AS_OF]
    for relation in ("model_metrics_history", "score_summary_history"):
        rows = query(
            builds.path,
            f"select cast(recorded_as_of as varchar), count(*) from stage.{relation}"
            " group by 1 order by 1",
        )
        assert [date for date, _ in rows] == dates, relation
    # Model metrics are stored by name: every date holds what model_metrics held then.
    [(metrics,)] = query(builds.path, "select count(*) from core.model_metrics")
    [(recorded_now,)] = query(
        builds.path,
        "select count(*) from stage.model_metrics_history"
        f" where recorded_as_of = '{SAME_SCORES_AS_OF}'",
    )
    assert metrics > 0 and recorded_now == metrics
    # Every bin of every score on every date, shares summing to 1.
    sums = query(
        builds.path,
        "select score_name, count(*), sum(share_of_clients) from stage.score_distribution_history"
        " group by score_name, recorded_as_of",
    )
    assert {name for name, _, _ in sums} == SCORES
    assert all(count >= 10 and math.isclose(total, 1.0) for _, count, total in sums)


def test_psi_is_computed_against_the_previous_recorded_date(builds):
    drift = {(name, date): (previous, psi) for name, date, previous, psi, _ in query(
        builds.path, DRIFT
    )}  # fmt: skip
    shares = {}
    for name, date, index, share in query(
        builds.path,
        "select score_name, cast(recorded_as_of as varchar), bin_index, share_of_clients"
        " from stage.score_distribution_history",
    ):
        shares.setdefault((name, date), {})[index] = max(share, 0.0001)
    for name in SCORES:
        assert drift[(name, SAMPLE_AS_OF)] == (None, None)
        previous, psi = drift[(name, SHIFTED_AS_OF)]
        actual, expected = shares[(name, SHIFTED_AS_OF)], shares[(name, SAMPLE_AS_OF)]
        recomputed = sum(
            (actual[i] - expected[i]) * math.log(actual[i] / expected[i]) for i in actual
        )
        assert previous == SAMPLE_AS_OF
        assert psi == pytest.approx(recomputed, abs=1e-6)


def test_a_shifted_distribution_warns(builds):
    drift = {(name, date): (psi, level) for name, date, _, psi, level in query(builds.path, DRIFT)}
    # Six months without a purchase: BG/NBD's probability of being alive must fall.
    psi, level = drift[("p_alive", SHIFTED_AS_OF)]
    assert psi >= 0.25 and level == "significant"
    assert warned(builds.shifted_output)


def test_the_same_scores_recorded_again_drift_zero_and_do_not_warn(builds):
    drift = query(builds.path, DRIFT)
    latest = [row for row in drift if row[1] == SAME_SCORES_AS_OF]
    assert {row[0] for row in latest} == SCORES
    assert all(row[2] == SHIFTED_AS_OF and row[3] == 0 and row[4] == "stable" for row in latest)
    assert not warned(builds.same_scores_output)


def test_rebuilding_a_recorded_date_replaces_it_with_the_same_rows(builds):
    assert builds.after_rebuild == builds.after_same_scores
    assert not warned(builds.rebuild_output)
