"""Dates the scoring models compute with may lie anywhere in years 1-9999: staging bounds them by
vars (min_plausible_date, delivery_date) and the as-of date is a var too, while pandas'
nanosecond timestamps end in 2262 and its Timedeltas overflow beyond 292 years. The churn and
CLV functions therefore count whole days (day_numbers), and give the same answer for the same
history moved to any years."""

from __future__ import annotations

import warnings
from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import load_python_file

churn = load_python_file("python_models/scoring/int_client_churn.py")
clv = load_python_file("python_models/scoring/int_client_clv.py")

AS_OF = np.datetime64("2025-01-01", "D")


def history(clients: int = 160, seed: int = 3) -> pd.DataFrame:
    """Two years of purchase invoices, one row per invoice, dated at midnight as the warehouse
    dates them; half the clients stop buying halfway."""
    rng = np.random.default_rng(seed)
    rows = []
    for client in range(clients):
        days = np.sort(rng.choice(730 if client % 2 else 365, size=rng.integers(1, 12)))
        for number, day in enumerate(np.unique(days)):
            rows.append(
                {
                    "client_key": f"c{client:04d}",
                    "invoice_no": f"{client}-{number}",
                    "invoice_date": AS_OF - np.timedelta64(730 - int(day), "D"),
                    "invoice_value": round(float(rng.gamma(3, 20)), 2),
                    "product_count": int(rng.integers(1, 6)),
                }
            )
    frame = pd.DataFrame(rows)
    frame["invoice_date"] = frame["invoice_date"].to_numpy().astype("datetime64[us]")
    return frame


def moved(invoices: pd.DataFrame, days: int, as_date_objects: bool = False) -> pd.DataFrame:
    """The same invoices dated `days` later (or earlier): as microsecond timestamps, what DuckDB
    hands to pandas, or as datetime.date objects, what Snowpark's to_pandas hands over for a
    DATE column (snowflakedb/snowpark-python#518)."""
    shift = np.timedelta64(days, "D")
    dates = invoices["invoice_date"].to_numpy().astype("datetime64[D]") + shift
    if as_date_objects:
        return invoices.assign(invoice_date=pd.Series(dates.astype(object), dtype=object))
    return invoices.assign(invoice_date=dates.astype("datetime64[us]"))


# From 2025 to year 9000 and to year 5: far beyond the 1677-2262 range of nanoseconds.
TO_YEAR_9000 = int((np.datetime64("9000-01-01") - AS_OF).astype(int))
TO_YEAR_5 = int((np.datetime64("0005-01-01") - AS_OF).astype(int))


@pytest.mark.parametrize("module", [churn, clv], ids=["churn", "clv"])
def test_day_numbers_count_days_since_1970_at_any_resolution_and_year(module):
    assert module.day_numbers(pd.Series(pd.to_datetime(["1970-01-02", "2025-01-01"]))).tolist() == [
        1,
        20089,
    ]
    assert module.day_numbers([date(1, 1, 1), date(9999, 12, 31)]).tolist() == [-719162, 2932896]
    extremes = np.array(["0001-01-01T12:00", "9999-12-31T23:59"], dtype="datetime64[us]")
    assert module.day_numbers(pd.Series(extremes)).tolist() == [-719162, 2932896]
    # A time of day belongs to its calendar day, also before 1970.
    assert module.day_numbers(np.datetime64("1969-12-31T18:00")) == -1
    for as_of in (pd.Timestamp("2025-01-01"), "2025-01-01", date(2025, 1, 1), AS_OF):
        assert module.day_numbers(as_of) == 20089


@pytest.mark.parametrize("days", [TO_YEAR_9000, TO_YEAR_5], ids=["year 9000", "year 5"])
def test_churn_features_and_labels_depend_on_day_differences_only(days):
    invoices = history()
    cutoff = AS_OF - np.timedelta64(90, "D")
    later = moved(invoices, days)
    later_cutoff = cutoff + np.timedelta64(days, "D")

    expected = churn.client_features(invoices, cutoff)
    assert len(expected) > 100
    pd.testing.assert_frame_equal(churn.client_features(later, later_cutoff), expected)
    pd.testing.assert_series_equal(
        churn.churn_labels(later, expected["client_key"], later_cutoff, 90),
        churn.churn_labels(invoices, expected["client_key"], cutoff, 90),
    )


@pytest.mark.parametrize("as_date_objects", [False, True], ids=["DuckDB", "Snowpark"])
@pytest.mark.parametrize("days", [TO_YEAR_9000, TO_YEAR_5], ids=["year 9000", "year 5"])
@pytest.mark.parametrize("score", [churn.score_churn, clv.score_clv], ids=["churn", "clv"])
def test_churn_and_clv_scores_do_not_depend_on_the_years(score, days, as_date_objects):
    invoices = history()
    later = moved(invoices, days, as_date_objects)
    later_as_of = (AS_OF + np.timedelta64(days, "D")).astype(object)  # a datetime.date
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores, metrics = score(invoices, AS_OF)
        later_scores, later_metrics = score(later, later_as_of)
    pd.testing.assert_frame_equal(later_scores, scores)
    pd.testing.assert_frame_equal(later_metrics, metrics)


def test_clv_summary_counts_weeks_from_day_differences():
    invoices = history()
    expected = clv.repeat_purchase_summary(invoices, AS_OF)
    later = clv.repeat_purchase_summary(moved(invoices, TO_YEAR_9000), date(9000, 1, 1))
    pd.testing.assert_frame_equal(later, expected)
    with pytest.raises(ValueError, match="on or after the as-of date 9000-01-01"):
        clv.repeat_purchase_summary(moved(invoices, TO_YEAR_9000 + 730), date(9000, 1, 1))
