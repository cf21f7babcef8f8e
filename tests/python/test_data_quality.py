"""The data-quality profile of a delivery (stg_crm__delivery_quality, v_data_quality) against
the raw files of the sample, read here with pandas: what the warehouse says about a delivery is
what the files hold."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from conftest import SAMPLE_DIR

ENTITIES = ("clients", "products", "transactions")


def raw_file(entity: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLE_DIR / f"{entity}.csv", dtype=str, keep_default_na=False)


def blank(values: pd.Series) -> pd.Series:
    return values.str.strip() == ""


@pytest.fixture(scope="module")
def profile(built_warehouse) -> pd.DataFrame:
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        connection.execute("set variable analytics_role = 'CRM_ANALYST'")
        latest = connection.execute(
            "select * from analytics.v_data_quality"
            " where recorded_as_of = (select max(recorded_as_of) from analytics.v_data_quality)"
        ).df()
        current = connection.execute("select * from stage.stg_crm__delivery_quality").df()
    columns = ["entity", "measure", "subject", "row_count", "share_of_delivered"]
    ordered = ["entity", "measure", "subject"]
    pd.testing.assert_frame_equal(
        latest[columns].sort_values(ordered).reset_index(drop=True),
        current[columns].sort_values(ordered).reset_index(drop=True),
    )
    return current.set_index(["entity", "measure", "subject"])


@pytest.mark.parametrize("entity", ENTITIES)
def test_delivered_rows_and_empty_values_are_those_of_the_raw_file(profile, entity):
    raw = raw_file(entity)
    delivered = profile.loc[(entity, "rows", "delivered"), "row_count"]
    assert delivered == len(raw)
    for column in raw.columns:
        ours = profile.loc[(entity, "empty_values", column), "row_count"]
        share = profile.loc[(entity, "empty_values", column), "share_of_delivered"]
        empty = int(blank(raw[column]).sum())
        if entity == "transactions" and column == "description":
            # A staged line's description of question marks only is a placeholder, cleaned to
            # NULL like blank text; a rejected line's is counted from its raw text.
            placeholder = int((blank(raw[column]) | raw[column].str.fullmatch(r"[?\s]+")).sum())
            assert empty <= ours <= placeholder, column
        else:
            assert ours == empty, column
        assert share == pytest.approx(ours / len(raw)), column


def test_the_sample_has_empty_values_and_rejects_to_count(profile):
    """Otherwise the comparisons above would hold of a profile that counts nothing."""
    assert profile.loc[("clients", "empty_values", "email"), "row_count"] > 0
    assert profile.loc[("transactions", "empty_values", "client_id"), "row_count"] > 0
    assert profile.loc[("transactions", "rows", "rejected"), "row_count"] > 0


def test_every_documented_reject_reason_is_listed_and_they_add_up(profile, built_warehouse):
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        documented = set(
            connection.execute("select entity, reason_code from raw.reject_reasons").fetchall()
        )
    rejects = profile.xs("rejects", level="measure")
    assert documented <= set(rejects.index)
    for entity in ENTITIES:
        rejected = profile.loc[(entity, "rows", "rejected"), "row_count"]
        staged = profile.loc[(entity, "rows", "staged"), "row_count"]
        assert rejects.loc[entity, "row_count"].sum() == rejected
        assert staged + rejected == profile.loc[(entity, "rows", "delivered"), "row_count"]
