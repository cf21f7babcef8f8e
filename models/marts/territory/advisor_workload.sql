with

advisors as (
    select * from {{ ref('advisor_dim') }}
),

assignments as (
    select * from {{ ref('assignments_fact') }}
    where is_current
),

spend as (
    select * from {{ ref('int_client_spend_recent') }}
),

loads as (
    select
        assignments.advisor_key,
        count(*) as clients,
        sum(spend.spend_12m) as revenue_12m
    from assignments
    inner join spend
        on assignments.client_key = spend.client_key
    group by assignments.advisor_key
),

final as (
    select
        advisors.advisor_key,
        advisors.advisor_name,
        advisors.territory_key,
        advisors.is_active,
        advisors.capacity,
        coalesce(loads.clients, 0) as clients,
        cast(coalesce(loads.revenue_12m, 0) as decimal(18, 2)) as revenue_12m,
        cast(coalesce(loads.clients, 0) as double)
        / nullif(advisors.capacity, 0) as capacity_utilisation
    from advisors
    left join loads
        on advisors.advisor_key = loads.advisor_key
)

select * from final
