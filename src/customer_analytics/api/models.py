"""Response models (the OpenAPI schema) and the functions shaping view rows into them.

Fields carry what the analytics views return for the caller: PII a principal may not see is
'***MASKED***' (text) or null (date of birth), exactly as the views mask it.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field, TypeAdapter
from pydantic_core import to_json


class Error(BaseModel):
    status: int = Field(description="The HTTP status, repeated.")
    error: str = Field(description="A short code: unauthorized, forbidden, not_found, …")
    message: str = Field(description="What went wrong and what to do, in words.")


class Contact(BaseModel):
    email: str | None
    phone: str | None
    tax_id: str | None
    date_of_birth: dt.date | None


class Location(BaseModel):
    city: str | None
    postcode: str | None
    country: str | None
    region: str | None


class Value(BaseModel):
    recency_days: int | None = Field(description="Days since the last purchase.")
    frequency: int | None = Field(description="Purchase invoices.")
    monetary: float | None = Field(description="Net product spend to date.")
    rfm_segment: str | None = Field(description="RFM cell (not the behaviour segment).")
    favourite_category: str | None
    avg_basket_value: float | None


class Scores(BaseModel):
    segment_name: str | None = Field(description="Behaviour segment (docs/segments.md).")
    churn_probability: float | None = Field(description="No purchase in the next 90 days.")
    churn_risk_band: str | None
    p_alive: float | None
    clv_12m: float | None = Field(description="12-month customer lifetime value.")


class Territory(BaseModel):
    territory_key: str
    territory_name: str | None


class Advisor(BaseModel):
    advisor_key: str
    advisor_name: str | None
    advisor_email: str | None


class Assignment(BaseModel):
    tier: str | None
    rule_id: str | None
    reason: str | None
    assigned_since: dt.date | None


class Product(BaseModel):
    product_key: str
    product_name: str | None


class Recommendation(BaseModel):
    rank: int
    product_key: str
    product_name: str | None
    category: str | None
    because_of: Product = Field(description="The client's own product whose rule suggests it.")
    confidence: float | None
    lift: float | None
    supporting_rules: int | None


class OwnedProduct(BaseModel):
    product_key: str
    product_name: str | None
    category: str | None
    first_purchase_date: dt.date | None
    last_purchase_date: dt.date | None
    purchase_invoices: int | None
    net_quantity: int | None
    net_value: float | None


class ClientProfile(BaseModel):
    client_key: str
    client_name: str | None
    client_type: str | None
    industry: str | None
    revenue_band: str | None
    contact: Contact
    location: Location
    value: Value
    scores: Scores
    territory: Territory | None
    advisor: Advisor | None
    assignment: Assignment | None
    recommendations: list[Recommendation]
    products_bought: int = Field(description="Products the client has bought or cancelled.")
    top_products: list[OwnedProduct] = Field(description="Its 10 best products by net value.")
    as_of_date: dt.date | None


class SearchResult(BaseModel):
    client_key: str
    client_name: str | None
    email: str | None
    postcode: str | None
    city: str | None
    region: str | None
    segment_name: str | None
    score: float = Field(description="0-100: the best-matching field's rapidfuzz score.")
    matched_on: str = Field(description="name, email or postcode.")


class SearchPage(BaseModel):
    query: str
    total: int = Field(
        description="Clients matching: at most the 100 candidates closest to the query."
    )
    page: int
    page_size: int
    results: list[SearchResult]


class AtRiskClient(BaseModel):
    client_key: str
    priority_rank: int
    region_priority_rank: int | None
    client_name: str | None
    country: str | None
    region: str | None
    email: str | None
    phone: str | None
    segment_name: str | None
    rfm_segment: str | None
    churn_probability: float | None
    p_alive: float | None
    clv_12m: float | None
    monetary: float | None
    revenue_12m: float | None
    revenue_12m_at_risk: float | None
    territory_key: str | None
    advisor_key: str | None


class TopValueClient(BaseModel):
    client_key: str
    client_name: str | None
    country: str | None
    region: str | None
    segment_name: str | None
    clv_12m: float | None
    monetary: float | None
    churn_probability: float | None
    churn_risk_band: str | None
    territory_key: str | None
    advisor_key: str | None
    advisor_name: str | None


class AtRiskClients(BaseModel):
    as_of_date: dt.date | None
    count: int
    clients: list[AtRiskClient]


class TopValueClients(BaseModel):
    as_of_date: dt.date | None
    count: int
    clients: list[TopValueClient]


class Segment(BaseModel):
    segment_id: int
    segment_name: str | None
    clients: int | None
    client_share: float | None
    revenue: float | None
    revenue_share: float | None
    revenue_12m: float | None
    mean_clv_12m: float | None
    mean_churn_probability: float | None
    lapsed_share: float | None
    high_risk_share: float | None
    median_recency_days: float | None
    median_frequency: float | None
    median_monetary: float | None


class Segments(BaseModel):
    as_of_date: dt.date | None
    segments: list[Segment]


class MonthlyMetric(BaseModel):
    month_start: dt.date
    is_complete_month: bool | None
    net_revenue: float | None
    gross_sales: float | None
    cancelled_value: float | None
    purchase_invoices: int | None
    average_order_value: float | None
    active_clients: int | None
    new_clients: int | None
    returning_clients: int | None
    revenue_mom_growth: float | None
    revenue_yoy_growth: float | None
    rolling_3m_revenue: float | None
    rolling_3m_yoy_growth: float | None
    health_score: float | None


class MonthlyMetrics(BaseModel):
    as_of_date: dt.date | None
    months: list[MonthlyMetric]


class HealthPoint(BaseModel):
    month_start: dt.date
    health_score: float


class BusinessHealth(BaseModel):
    as_of_date: dt.date | None
    month_start: dt.date | None = Field(description="The latest complete month.")
    health_score: float | None = Field(description="Its business-health score, 0-100.")
    change_from_previous_month: float | None
    last_12_months: list[HealthPoint]


class Health(BaseModel):
    status: str = Field(description="ok, or unavailable (with a 503) while nothing is published.")
    backend: str = Field(description="duckdb or snowflake.")
    published_at: dt.datetime | None = Field(
        description="When the published build was published (DuckDB: the file's mtime; the "
        "tables hold no timestamp, so that two builds of the same input are identical)."
    )
    as_of_date: dt.date | None = Field(
        description="The build's as-of date, read through the caller's views: only when the "
        "request carries a valid API key."
    )
    message: str | None = None


CONTACT = ("email", "phone", "tax_id", "date_of_birth")
LOCATION = ("city", "postcode", "country", "region")
VALUE = ("recency_days", "frequency", "monetary", "rfm_segment", "favourite_category")
SCORES = ("segment_name", "churn_probability", "churn_risk_band", "p_alive", "clv_12m")


def pick(row: dict, names: tuple[str, ...]) -> dict:
    return {name: row[name] for name in names}


def client_profile(row: dict) -> dict:
    """A v_client_360 row (with its assignment, recommendations and products) as ClientProfile."""
    return {
        "client_key": row["client_key"],
        "client_name": row["client_name"],
        "client_type": row["client_type"],
        "industry": row["industry"],
        "revenue_band": row["revenue_band"],
        "contact": pick(row, CONTACT),
        "location": pick(row, LOCATION),
        "value": {**pick(row, VALUE), "avg_basket_value": row["avg_basket_value"]},
        "scores": pick(row, SCORES),
        "territory": (
            {"territory_key": row["territory_key"], "territory_name": row["territory_name"]}
            if row["territory_key"]
            else None
        ),
        "advisor": (
            {
                "advisor_key": row["advisor_key"],
                "advisor_name": row["advisor_name"],
                "advisor_email": row["advisor_email"],
            }
            if row["advisor_key"]
            else None
        ),
        "assignment": (
            {
                "tier": row["tier"],
                "rule_id": row["rule_id"],
                "reason": row["assignment_reason"],
                "assigned_since": row["assigned_since"],
            }
            if row["rule_id"]
            else None
        ),
        "recommendations": [
            {
                "rank": offer["recommendation_rank"],
                "product_key": offer["product_key"],
                "product_name": offer["product_name"],
                "category": offer["category"],
                "because_of": {
                    "product_key": offer["because_of_product_key"],
                    "product_name": offer["because_of_product_name"],
                },
                "confidence": offer["confidence"],
                "lift": offer["lift"],
                "supporting_rules": offer["supporting_rules"],
            }
            for offer in row["recommendations"]
        ],
        "products_bought": row["products"][0]["products_bought"] if row["products"] else 0,
        "top_products": row["products"],
        "as_of_date": row["as_of_date"],
    }


PROFILE_ADAPTER = TypeAdapter(ClientProfile)


def client_profile_json(row: dict) -> bytes:
    """client_profile(row) as the JSON body FastAPI writes for `response_model=ClientProfile`:
    validated into the model, then dumped by pydantic (fastapi.routing.serialize_response with
    dump_json). The profile endpoint returns these bytes itself, so that a cached body skips
    both steps; test_api.py checks them against FastAPI's own path."""
    model = PROFILE_ADAPTER.validate_python(client_profile(row), from_attributes=True)
    return PROFILE_ADAPTER.dump_json(model, by_alias=True)


def search_page(query: str, total: int, page: int, page_size: int, results: list) -> dict:
    """The search endpoint's answer (SearchPage)."""
    return {"query": query, "total": total, "page": page, "page_size": page_size,
            "results": results}  # fmt: skip


# A search result's columns of v_client_360 (the rest of SearchResult is the match).
SEARCH_RESULT_COLUMNS = [
    name for name in SearchResult.model_fields if name not in ("score", "matched_on")
]


def search_result_openings(rows: list[dict]) -> list[bytes]:
    """Each row's SearchResult as pydantic writes it, up to its match: b'{"client_key":…,
    "segment_name":…,'. pydantic_core's to_json escapes strings as the model's dump does."""
    return [to_json(row)[:-1] + b"," for row in rows]


def search_page_bytes(
    query: str, total: int, page: int, page_size: int, openings: list[bytes], hits: list
) -> bytes:
    """The body FastAPI writes for `response_model=SearchPage` (validated, then dumped by
    pydantic) of the page whose results are the `hits` (score, matched_on) of the rows whose
    search_result_openings are `openings`, joined from bytes without building, validating and
    dumping the page; test_api.py checks the two are the same bytes."""
    results = b",".join(
        b'%b"score":%b,"matched_on":%b}' % (opening, to_json(hit.score), to_json(hit.matched_on))
        for opening, hit in zip(openings, hits, strict=True)
    )
    return b'{"query":%b,"total":%d,"page":%d,"page_size":%d,"results":[%b]}' % (
        to_json(query),
        total,
        page,
        page_size,
        results,
    )


def business_health(months: list[dict], as_of_date: dt.date | None) -> dict:
    """The latest complete month's health score, its change, and the 12 months up to it."""
    scored = [m for m in months if m["health_score"] is not None]
    latest = scored[-1] if scored else None
    previous = scored[-2] if len(scored) > 1 else None
    return {
        "as_of_date": as_of_date,
        "month_start": latest["month_start"] if latest else None,
        "health_score": latest["health_score"] if latest else None,
        "change_from_previous_month": (
            round(latest["health_score"] - previous["health_score"], 1) if previous else None
        ),
        "last_12_months": [
            {"month_start": m["month_start"], "health_score": m["health_score"]}
            for m in scored[-12:]
        ],
    }
