{#
    One row per advisor: capacity, clients currently assigned, their 12-month revenue and
    utilisation.
#}
with

workload as (
    select * from {{ ref('advisor_workload') }}
),

advisors as (
    select * from {{ ref('advisor_dim') }}
),

territories as (
    select * from {{ ref('territory_dim') }}
),

final as (
    select
        workload.advisor_key,
        workload.advisor_name,
        {{ masked('advisors.email') }} as advisor_email,
        workload.territory_key,
        territories.region,
        workload.is_active,
        workload.capacity,
        workload.clients,
        workload.revenue_12m,
        workload.capacity_utilisation
    from workload
    inner join advisors
        on workload.advisor_key = advisors.advisor_key
    left join territories
        on workload.territory_key = territories.territory_key
    where {{ row_filter('territories.region') }}
)

select * from final
