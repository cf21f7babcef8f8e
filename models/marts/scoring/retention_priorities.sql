{#
    The clients to win back first: high value (net spend above the buying clients' median, the
    "High-Value" claim of docs/segments.md) and high churn risk (churn_risk_band 'high'), one row
    each, ranked by the 12-month revenue at risk (churn probability × spend in the last 12
    months), then by spend to date. A client who spent nothing in the last 12 months has no
    revenue at risk and ranks last: it is already gone rather than going.
#}
with

clients as (
    select * from {{ ref('client_dim') }}
),

scores as (
    select * from {{ ref('client_scores') }}
),

features as (
    select * from {{ ref('client_features') }}
),

value_threshold as (
    select median(monetary) as median_monetary
    from features
    where frequency > 0
),

candidates as (
    select
        scores.client_key,
        clients.region,
        scores.segment_id,
        scores.segment_name,
        features.rfm_segment,
        scores.churn_probability,
        scores.churn_risk_band,
        scores.p_alive,
        scores.clv_12m,
        features.recency_days,
        features.frequency,
        features.monetary,
        features.spend_last_12_months as revenue_12m,
        scores.churn_probability * features.spend_last_12_months as revenue_12m_at_risk,
        scores.as_of_date
    from scores
    inner join features
        on scores.client_key = features.client_key
    inner join clients
        on scores.client_key = clients.client_key
    cross join value_threshold
    where
        scores.churn_risk_band = 'high'
        and features.monetary > value_threshold.median_monetary
),

ranked as (
    select
        *,
        row_number() over (
            order by revenue_12m_at_risk desc, monetary desc, client_key asc
        ) as priority_rank,
        row_number() over (
            partition by region
            order by revenue_12m_at_risk desc, monetary desc, client_key asc
        ) as region_priority_rank
    from candidates
),

final as (
    select
        client_key,
        cast(priority_rank as integer) as priority_rank,
        cast(region_priority_rank as integer) as region_priority_rank,
        region,
        cast(segment_id as integer) as segment_id,
        segment_name,
        rfm_segment,
        churn_probability,
        churn_risk_band,
        p_alive,
        clv_12m,
        recency_days,
        frequency,
        monetary,
        cast(revenue_12m as decimal(18, 2)) as revenue_12m,
        cast(revenue_12m_at_risk as decimal(18, 2)) as revenue_12m_at_risk,
        as_of_date
    from ranked
)

select * from final
