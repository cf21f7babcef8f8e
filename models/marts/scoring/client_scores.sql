{#
    The scores analysts act on, one row per golden client as of the as-of date: churn
    probability (int_client_churn), BG/NBD + Gamma-Gamma lifetime value (int_client_clv) and
    the behaviour segment (int_client_segments: a KMeans cluster, not the RFM cell of
    rfm.segment_name). Each score names the method that produced it, so a fallback (a model
    that could not be fitted) is visible rather than silent. churn_risk_band cuts the churn
    probability at var('churn_risk_medium_from') and var('churn_risk_high_from').
#}
with

clients as (
    select * from {{ ref('client_dim') }}
),

rfm as (
    select * from {{ ref('rfm') }}
),

clv as (
    select * from {{ ref('int_client_clv') }}
    where row_type = 'client'
),

churn as (
    select * from {{ ref('int_client_churn') }}
    where row_type = 'client'
),

segments as (
    select * from {{ ref('int_client_segments') }}
    where row_type = 'client'
),

final as (
    select
        clients.client_key,
        cast(churn.churn_probability as double) as churn_probability,
        churn.churn_method,
        case
            when churn.churn_probability is null then null
            when churn.churn_probability < {{ var('churn_risk_medium_from') }} then 'low'
            when churn.churn_probability < {{ var('churn_risk_high_from') }} then 'medium'
            else 'high'
        end as churn_risk_band,
        cast(clv.p_alive as double) as p_alive,
        cast(clv.expected_purchases_90d as double) as expected_purchases_90d,
        cast(clv.expected_purchases_12m as double) as expected_purchases_12m,
        cast(clv.expected_avg_spend as decimal(18, 2)) as expected_avg_spend,
        cast(clv.clv_12m as decimal(18, 2)) as clv_12m,
        clv.clv_method,
        cast(segments.segment_id as integer) as segment_id,
        segments.segment_name,
        rfm.as_of_date
    from clients
    inner join rfm
        on clients.client_key = rfm.client_key
    left join clv
        on clients.client_key = clv.client_key
    left join churn
        on clients.client_key = churn.client_key
    left join segments
        on clients.client_key = segments.client_key
)

select * from final
