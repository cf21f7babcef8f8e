"""The dbt Python models' model(dbt, session) shells run on both engines and agree: DuckDB hands
them relations with .df(), Snowpark (local testing mode, no account needed) DataFrames with
.to_pandas() and upper-case column names."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from conftest import SAMPLE_DIR, load_python_file

pytestmark = pytest.mark.snowflake


class StandInConfig:
    """dbt.config: callable (model-level config) and .get() for configured values."""

    def __init__(self, values: dict):
        self.values = values

    def __call__(self, **_: object) -> None:
        return None

    def get(self, key: str):
        return self.values[key]


class StandInDbt:
    def __init__(self, refs: dict, config: dict):
        self.refs = refs
        self.config = StandInConfig(config)

    def ref(self, name: str):
        return self.refs[name]


def as_stored_by_snowpark(session, result: pd.DataFrame) -> pd.DataFrame:
    """dbt-snowflake saves the model's pandas result through a Snowpark DataFrame, whose names
    must be plain upper-case identifiers or unquoted SQL downstream cannot see them. (Local
    testing cannot take pandas' NA, so the names are checked on a frame of zeros.)"""
    stored = session.create_dataframe(pd.DataFrame([[0] * result.shape[1]], columns=result.columns))
    assert stored.columns == [name.upper() for name in result.columns], stored.columns
    return result.rename(columns=str.lower)


@pytest.fixture(scope="module")
def snowpark_session():
    from snowflake.snowpark import Session

    session = Session.builder.config("local_testing", True).create()
    yield session
    session.close()


@pytest.fixture(scope="module")
def staged_like_clients() -> pd.DataFrame:
    clients = pd.read_csv(SAMPLE_DIR / "clients.csv", dtype=str)
    return clients.drop_duplicates("client_id").head(400).reset_index(drop=True)


def test_client_dedupe_model_agrees_on_duckdb_and_snowpark(snowpark_session, staged_like_clients):
    dedupe = load_python_file("python_models/identity/int_clients_clustered.py")
    config = {"match_threshold": "85"}
    # Two records the model would never join, joined by a steward: the decision path runs too.
    first, last = staged_like_clients["client_id"].iloc[[0, -1]]
    decisions = pd.DataFrame(
        {
            "left_client_id": [first],
            "right_client_id": [last],
            "decision": ["force_match"],
            "reason": ["same company, renamed"],
            "decided_by": ["steward@example.com"],
            "decided_on": ["2026-11-30"],
        }
    )
    connection = duckdb.connect()
    connection.register("clients_frame", staged_like_clients)
    connection.register("decisions_frame", decisions)
    on_duckdb = dedupe.model(
        StandInDbt(
            {
                "stg_crm__clients": connection.sql("select * from clients_frame"),
                "identity_decisions": connection.sql("select * from decisions_frame"),
            },
            config,
        ),
        connection,
    )
    on_snowpark = dedupe.model(
        StandInDbt(
            {
                "stg_crm__clients": snowpark_session.create_dataframe(
                    staged_like_clients.rename(columns=str.upper)
                ),
                "identity_decisions": snowpark_session.create_dataframe(
                    decisions.rename(columns=str.upper)
                ),
            },
            config,
        ),
        snowpark_session,
    )
    expected = dedupe.linkage_envelope(
        dedupe.deduplicate_clients(staged_like_clients, decisions, threshold=85)
    )

    records = on_duckdb[on_duckdb["row_type"] == "record"].set_index("client_id")
    assert (records["cluster_size"] > 1).any()
    assert records.at[first, "client_key"] == records.at[last, "client_key"]
    pd.testing.assert_frame_equal(on_duckdb, expected)
    pd.testing.assert_frame_equal(as_stored_by_snowpark(snowpark_session, on_snowpark), expected)


SCORING_MODELS = {
    "python_models/scoring/int_client_clv.py": {
        "annual_discount_rate": "0.1",
        "holdout_days": "90",
    },
    "python_models/scoring/int_client_churn.py": {"horizon_days": "90"},
    "python_models/scoring/int_client_segments.py": {
        "min_segments": "3",
        "max_segments": "8",
        "horizon_days": "90",
    },
}


@pytest.fixture(scope="module")
def scoring_inputs(built_warehouse) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        return {
            "int_client_invoices": connection.sql(
                "select * from stage.int_client_invoices order by client_key, invoice_no"
            ).df(),
            "rfm": connection.sql("select * from core.rfm order by client_key").df(),
            "int_client_clv": connection.sql(
                "select * from stage.int_client_clv order by row_type, client_key, model_name,"
                " metric_name"
            ).df(),
            "client_features": connection.sql(
                "select * from core.client_features order by client_key"
            ).df(),
        }


def snowpark_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Plain Python values as Snowflake hands them over: dates as date, NULL as None, upper-case
    names (the local emulator reads pandas timestamps as strings)."""
    plain = frame.astype(object).where(frame.notna(), None)
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            values = frame[column].dt.date if column.endswith("_date") else frame[column]
            plain[column] = [None if pd.isna(v) else v for v in values.tolist()]
    return plain.rename(columns=str.upper)


@pytest.mark.parametrize("model_path", SCORING_MODELS)
def test_scoring_models_agree_on_duckdb_and_snowpark(snowpark_session, scoring_inputs, model_path):
    scoring = load_python_file(model_path)
    config = SCORING_MODELS[model_path]
    connection = duckdb.connect()
    duckdb_refs, snowpark_refs = {}, {}
    for name, frame in scoring_inputs.items():
        connection.register(f"{name}_frame", frame)
        duckdb_refs[name] = connection.sql(f"select * from {name}_frame")
        snowpark_refs[name] = snowpark_session.create_dataframe(snowpark_ready(frame))
    on_duckdb = scoring.model(StandInDbt(duckdb_refs, config), connection)
    on_snowpark = scoring.model(StandInDbt(snowpark_refs, config), snowpark_session)

    assert (on_duckdb["row_type"] == "client").sum() >= 1700
    fit_status = on_duckdb.loc[on_duckdb["metric_name"] == "fit_status", "metric_value"]
    assert (fit_status == 1).all(), "the sample is rich enough for every model to be fitted"
    pd.testing.assert_frame_equal(
        as_stored_by_snowpark(snowpark_session, on_snowpark), on_duckdb, check_dtype=False
    )
