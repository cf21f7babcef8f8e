"""One principal's view of one publish, in memory: what every endpoint answers from.

Built from the rows the principal's analytics views return (queries.SNAPSHOT), so the views'
filtering and masking are already applied; nothing here knows the rules. Immutable once built:
requests in flight keep the snapshot they started with while a newer one replaces it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from customer_analytics.api.models import (
    SEARCH_RESULT_COLUMNS,
    client_profile_json,
    search_page_bytes,
    search_result_openings,
)
from customer_analytics.api.search import SearchIndex

# Profiles kept as JSON bytes per snapshot (so per principal and publish): about 4.4 kB each at
# scale L, so 20,000 are about 90 MB per principal at most. ca-serve --profile-cache sets it.
PROFILE_CACHE = 20_000
# Rows turned into Python objects at a time while a snapshot is built (a few ms each).
SLICE_ROWS = 10_000


def plain_numbers(table: pa.Table) -> pa.Table:
    """Decimal amounts as float64: JSON numbers, and cheaper to turn into Python per row."""
    for index, column in enumerate(table.schema):
        if pa.types.is_decimal(column.type):
            # Rounded to the decimal's scale: the division inside the cast can land one ulp
            # off (127.60000000000001).
            as_float = pc.round(pc.cast(table[index], pa.float64()), column.type.scale)
            table = table.set_column(index, column.name, as_float)
    return table


def row_ranges(table: pa.Table) -> dict[str, tuple[int, int]]:
    """{client_key: (first row, row after its last)} of a table sorted by client_key; in
    numpy, since a Python loop over the 1.6 M product rows of scale L takes seconds."""
    if not table.num_rows:
        return {}
    codes = pc.dictionary_encode(table["client_key"].combine_chunks()).indices.to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    stops = np.r_[starts[1:], len(codes)]
    keys = table["client_key"].take(pa.array(starts)).to_pylist()
    return dict(zip(keys, zip(starts.tolist(), stops.tolist(), strict=True), strict=True))


def rows(table: pa.Table, start: int = 0, stop: int | None = None) -> list[dict]:
    stop = table.num_rows if stop is None else min(stop, table.num_rows)
    return table.slice(start, max(stop - start, 0)).to_pylist()


@dataclass
class Snapshot:
    token: tuple  # the published file it was read from (device, inode, mtime, size)
    published_at: dt.datetime
    profiles: pa.Table
    recommendations: pa.Table
    products: pa.Table
    at_risk_table: pa.Table
    segment_rows: list[dict]
    monthly_rows: list[dict]
    as_of_date: dt.date | None = None
    profile_cache: int = PROFILE_CACHE
    row_of: dict[str, int] = field(init=False)
    recommendation_ranges: dict[str, tuple[int, int]] = field(init=False)
    product_ranges: dict[str, tuple[int, int]] = field(init=False)
    top_value_order: pa.Array = field(init=False)
    index: SearchIndex = field(init=False)
    search_columns: pa.Table = field(init=False, repr=False)
    search_openings: list[bytes] = field(init=False, repr=False)
    profile_bodies: dict[str, bytes] = field(init=False, repr=False)

    blocking = False  # answers from memory: no need to leave the event loop

    def __post_init__(self):
        # One chunk per column: take() and slice() on DuckDB's many small chunks cost
        # milliseconds per call at scale L.
        self.profiles = plain_numbers(self.profiles).combine_chunks()
        self.recommendations = plain_numbers(self.recommendations).combine_chunks()
        self.products = plain_numbers(self.products).combine_chunks()
        self.at_risk_table = plain_numbers(self.at_risk_table).combine_chunks()
        keys = self.profiles["client_key"].to_pylist()
        self.row_of = {key: row for row, key in enumerate(keys)}
        self.recommendation_ranges = row_ranges(self.recommendations)
        self.product_ranges = row_ranges(self.products)
        # queries.TOP_VALUE_ORDER: highest CLV first, unknown CLV last, then client_key.
        self.top_value_order = pc.sort_indices(
            self.profiles,
            sort_keys=[("clv_12m", "descending", "at_end"), ("client_key", "ascending", "at_end")],
        )
        self.index = SearchIndex(
            self.profiles["client_name"].to_pylist(),
            self.profiles["email"].to_pylist(),
            self.profiles["postcode"].to_pylist(),
        )
        # What a search result shows (models.SearchResult): 7 of the 34 columns.
        self.search_columns = self.profiles.select(SEARCH_RESULT_COLUMNS)
        # The same as JSON, row by row (about 200 bytes a client): a page's body is joined
        # from them (search_json) instead of read from Arrow, validated and dumped per request.
        # In slices: to_pylist holds the GIL, and a new publish's snapshot is built while the
        # event loop answers from the previous one.
        self.search_openings = [
            opening
            for start in range(0, self.search_columns.num_rows, SLICE_ROWS)
            for opening in search_result_openings(
                self.search_columns.slice(start, SLICE_ROWS).to_pylist()
            )
        ]
        # Filled as profiles are asked for; it dies with the snapshot, so a body never outlives
        # its publish or serves another principal.
        self.profile_bodies = {}
        if self.as_of_date is None:
            dates = [row["as_of_date"] for row in self.segment_rows if row.get("as_of_date")]
            self.as_of_date = max(dates) if dates else None

    def profile(self, client_key: str) -> dict | None:
        row = self.row_of.get(client_key)
        if row is None:
            return None
        # Cell by cell: a third of the time of a one-row slice's to_pylist().
        found = {
            name: column[row].as_py()
            for name, column in zip(self.profiles.column_names, self.profiles.columns, strict=True)
        }
        found["recommendations"] = rows(
            self.recommendations, *self.recommendation_ranges.get(client_key, (0, 0))
        )
        found["products"] = rows(self.products, *self.product_ranges.get(client_key, (0, 0)))
        return found

    def profile_json(self, client_key: str) -> bytes | None:
        """The profile endpoint's JSON body (models.client_profile_json), from the cache when
        it was asked for before; None for a client this principal does not see."""
        body = self.profile_bodies.get(client_key)
        if body is not None:
            return body
        found = self.profile(client_key)
        if found is None:
            return None
        body = client_profile_json(found)
        if self.profile_cache > 0:
            if len(self.profile_bodies) >= self.profile_cache:
                # The oldest entry out (dicts keep insertion order): a bounded cache for the
                # price of a dict lookup.
                self.profile_bodies.pop(next(iter(self.profile_bodies)), None)
            self.profile_bodies[client_key] = body
        return body

    def search(self, query: str, offset: int, limit: int) -> tuple[int, list[dict]]:
        """(how many clients matched, the page of them from offset)."""
        total, page = self.index.search(query, offset, limit)
        if not page:
            return total, []
        # One take() of the page's rows: under load, faster than reading them cell by cell.
        found = self.search_columns.take(pa.array([hit.row for hit in page])).to_pylist()
        for result, hit in zip(found, page, strict=True):
            result["score"], result["matched_on"] = hit.score, hit.matched_on
        return total, found

    def search_json(self, query: str, page: int, page_size: int) -> bytes:
        """The search endpoint's JSON body for a page from 1, as FastAPI writes
        search_page(query, *self.search(...)), joined from the rows' JSON (test_api.py compares
        the two)."""
        total, hits = self.index.search(query, (page - 1) * page_size, page_size)
        openings = [self.search_openings[hit.row] for hit in hits]
        return search_page_bytes(query, total, page, page_size, openings, hits)

    def at_risk(self, limit: int) -> list[dict]:
        return rows(self.at_risk_table, 0, limit)

    def top_value(self, limit: int) -> list[dict]:
        return self.profiles.take(self.top_value_order[:limit]).to_pylist()

    def segments(self) -> list[dict]:
        return self.segment_rows

    def monthly(self) -> list[dict]:
        return self.monthly_rows
