{#
    The clients to win back first (retention_priorities: high value × high churn risk, ranked by
    12-month revenue at risk), with who they are (PII masked for sales leadership), their
    behaviour segment and RFM cell, and who owns them now.
#}
with

priorities as (
    select * from {{ ref('retention_priorities') }}
),

clients as (
    select * from {{ ref('client_dim') }}
),

assignments as (
    select * from {{ ref('assignments_fact') }}
    where is_current
),

final as (
    select
        priorities.client_key,
        priorities.priority_rank,
        priorities.region_priority_rank,
        clients.client_name,
        clients.country,
        priorities.region,
        {{ masked('clients.email') }} as email,
        {{ masked('clients.phone') }} as phone,
        priorities.segment_name,
        priorities.rfm_segment,
        priorities.churn_probability,
        priorities.churn_risk_band,
        priorities.p_alive,
        priorities.clv_12m,
        priorities.recency_days,
        priorities.frequency,
        priorities.monetary,
        priorities.revenue_12m,
        priorities.revenue_12m_at_risk,
        assignments.territory_key,
        assignments.advisor_key,
        priorities.as_of_date
    from priorities
    inner join clients
        on priorities.client_key = clients.client_key
    left join assignments
        on priorities.client_key = assignments.client_key
    where {{ row_filter('priorities.region') }}
)

select * from final
