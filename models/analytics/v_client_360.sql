{#
    One row per golden client: who it is (PII masked for sales leadership), its value (RFM
    cell), behaviour segment (KMeans cluster), churn risk and lifetime value, its current owner
    and the products to offer it next.
#}
with

clients as (
    select * from {{ ref('client_dim') }}
),

features as (
    select * from {{ ref('client_features') }}
),

scores as (
    select * from {{ ref('client_scores') }}
),

assignments as (
    select * from {{ ref('assignments_fact') }}
    where is_current
),

territories as (
    select * from {{ ref('territory_dim') }}
),

advisors as (
    select * from {{ ref('advisor_dim') }}
),

recommendations as (
    select * from {{ ref('client_recommendations') }}
),

offers as (
    select
        client_key,
        {{ ordered_string_agg('product_key', 'recommendation_rank', ', ') }}
            as recommended_products
    from recommendations
    group by client_key
),

final as (
    select
        clients.client_key,
        clients.client_name,
        clients.client_type,
        clients.industry,
        clients.revenue_band,
        clients.city,
        clients.postcode,
        clients.country,
        clients.region,
        {{ masked('clients.email') }} as email,
        {{ masked('clients.phone') }} as phone,
        {{ masked('clients.tax_id') }} as tax_id,
        {{ masked('clients.date_of_birth', 'date') }} as date_of_birth,
        features.recency_days,
        features.frequency,
        features.monetary,
        features.rfm_segment,
        features.favourite_category,
        features.avg_basket_value,
        scores.segment_name,
        scores.churn_probability,
        scores.churn_risk_band,
        scores.p_alive,
        scores.clv_12m,
        assignments.territory_key,
        territories.territory_name,
        assignments.advisor_key,
        advisors.advisor_name,
        offers.recommended_products,
        scores.as_of_date
    from clients
    inner join features
        on clients.client_key = features.client_key
    inner join scores
        on clients.client_key = scores.client_key
    left join assignments
        on clients.client_key = assignments.client_key
    left join territories
        on assignments.territory_key = territories.territory_key
    left join advisors
        on assignments.advisor_key = advisors.advisor_key
    left join offers
        on clients.client_key = offers.client_key
    where {{ row_filter('clients.region') }}
)

select * from final
