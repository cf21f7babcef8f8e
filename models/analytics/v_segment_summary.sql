{#
    One row per behaviour segment (segment_summary): clients, revenue and its share, mean
    12-month CLV, churn, and the medians the segment's name makes claims about. Aggregates over
    every region, so not regional.
#}
with

summary as (
    select * from {{ ref('segment_summary') }}
),

final as (
    select
        segment_id,
        segment_name,
        clients,
        client_share,
        revenue,
        revenue_share,
        revenue_12m,
        mean_clv_12m,
        mean_churn_probability,
        lapsed_share,
        high_risk_share,
        median_recency_days,
        median_frequency,
        median_monetary,
        as_of_date
    from summary
    where {{ role_filter() }}
)

select * from final
