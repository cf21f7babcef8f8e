"""Every statement the API sends to a warehouse. They read only `analytics.v_*` views, under
the caller's principal, so the views' row filters and masking are the only access rules (none
are restated here). Values from a request are only ever bind parameters (`?`): DuckDB's
prepared statements, Snowflake's server-side binding (paramstyle qmark).

Two shapes of the same reads:
- SNAPSHOT: every row the principal sees, once per principal and publish (DuckDB: the published
  file cannot change until the next publish, so answers come from memory);
- PER_REQUEST: one request's rows (Snowflake, where the published database is queried live).
"""

from __future__ import annotations

# Profile columns: the client's row of v_client_360, with its assignment (why this advisor) from
# v_client_assignments and its advisor's email from v_advisor_workload; all three views apply
# the same principal's region filter and masking.
CLIENT_PROFILE_SELECT = """
select
    c.client_key,
    c.client_name,
    c.client_type,
    c.industry,
    c.revenue_band,
    c.city,
    c.postcode,
    c.country,
    c.region,
    c.email,
    c.phone,
    c.tax_id,
    c.date_of_birth,
    c.recency_days,
    c.frequency,
    c.monetary,
    c.rfm_segment,
    c.favourite_category,
    c.avg_basket_value,
    c.segment_name,
    c.churn_probability,
    c.churn_risk_band,
    c.p_alive,
    c.clv_12m,
    c.territory_key,
    c.territory_name,
    c.advisor_key,
    c.advisor_name,
    w.advisor_email,
    a.tier,
    a.rule_id,
    a.reason as assignment_reason,
    a.assigned_since,
    c.as_of_date
from analytics.v_client_360 as c
left join analytics.v_client_assignments as a
    on c.client_key = a.client_key
left join analytics.v_advisor_workload as w
    on c.advisor_key = w.advisor_key
"""

RECOMMENDATION_SELECT = """
select
    client_key,
    recommendation_rank,
    product_key,
    product_name,
    category,
    because_of_product_key,
    because_of_product_name,
    confidence,
    lift,
    supporting_rules
from analytics.v_client_recommendations
"""

# The products a profile lists: its TOP_PRODUCTS best by net value, and how many it bought.
TOP_PRODUCTS = 10
CLIENT_PRODUCT_COLUMNS = """
    client_key,
    product_key,
    product_name,
    category,
    first_purchase_date,
    last_purchase_date,
    purchase_invoices,
    net_quantity,
    net_value,
    count(*) over (partition by client_key) as products_bought
"""
PRODUCT_ORDER = "net_value desc nulls last, product_key"

RETENTION_SELECT = """
select
    client_key,
    priority_rank,
    region_priority_rank,
    client_name,
    country,
    region,
    email,
    phone,
    segment_name,
    rfm_segment,
    churn_probability,
    p_alive,
    clv_12m,
    monetary,
    revenue_12m,
    revenue_12m_at_risk,
    territory_key,
    advisor_key,
    as_of_date
from analytics.v_retention_priorities
"""

TOP_VALUE_SELECT = """
select
    client_key,
    client_name,
    country,
    region,
    segment_name,
    clv_12m,
    monetary,
    churn_probability,
    churn_risk_band,
    territory_key,
    advisor_key,
    advisor_name,
    as_of_date
from analytics.v_client_360
"""
TOP_VALUE_ORDER = "clv_12m desc nulls last, client_key"

SEGMENTS = "select * from analytics.v_segment_summary order by segment_id"
MONTHLY_METRICS = "select * from analytics.v_business_metrics order by month_start"

# The fields fuzzy search compares (DuckDB takes them from the profile snapshot).
SEARCH_CORPUS = """
select client_key, client_name, email, postcode, city, region, segment_name
from analytics.v_client_360
order by client_key
"""

SNAPSHOT = {
    "profiles": CLIENT_PROFILE_SELECT + "order by c.client_key",
    "recommendations": RECOMMENDATION_SELECT + "order by client_key, recommendation_rank",
    "products": (
        f"select * from (select {CLIENT_PRODUCT_COLUMNS} from analytics.v_client_products)"
        f" qualify row_number() over (partition by client_key order by {PRODUCT_ORDER})"
        f" <= {TOP_PRODUCTS} order by client_key, {PRODUCT_ORDER}"
    ),
    "at_risk": RETENTION_SELECT + "order by priority_rank",
    "segments": SEGMENTS,
    "monthly": MONTHLY_METRICS,
}

PER_REQUEST = {
    "profile": CLIENT_PROFILE_SELECT + "where c.client_key = ?",
    "recommendations": RECOMMENDATION_SELECT + "where client_key = ? order by recommendation_rank",
    "products": (
        f"select {CLIENT_PRODUCT_COLUMNS} from analytics.v_client_products where client_key = ?"
        f" order by {PRODUCT_ORDER} limit {TOP_PRODUCTS}"
    ),
    "at_risk": RETENTION_SELECT + "order by priority_rank limit ?",
    "top_value": TOP_VALUE_SELECT + f"order by {TOP_VALUE_ORDER} limit ?",
    "segments": SEGMENTS,
    "monthly": MONTHLY_METRICS,
    "search_corpus": SEARCH_CORPUS,
}
