{#
    One row per territory: its region, advisors, capacity and the clients currently assigned to
    it.
#}
with

territories as (
    select * from {{ ref('territory_dim') }}
),

assignments as (
    select * from {{ ref('assignments_fact') }}
    where is_current
),

workload as (
    select * from {{ ref('advisor_workload') }}
),

assigned as (
    select
        territory_key,
        count(*) as current_clients
    from assignments
    group by territory_key
),

revenue as (
    select
        territory_key,
        sum(revenue_12m) as revenue_12m
    from workload
    group by territory_key
),

final as (
    select
        territories.territory_key,
        territories.territory_name,
        territories.region,
        territories.active_advisors,
        territories.total_capacity,
        coalesce(assigned.current_clients, 0) as current_clients,
        coalesce(revenue.revenue_12m, 0) as revenue_12m
    from territories
    left join assigned
        on territories.territory_key = assigned.territory_key
    left join revenue
        on territories.territory_key = revenue.territory_key
    where {{ row_filter('territories.region') }}
)

select * from final
