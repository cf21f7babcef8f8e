{#
    One row per sales region: clients, active clients and 12-month revenue against the year
    before.
#}
with

performance as (
    select * from {{ ref('regional_performance') }}
),

final as (
    select
        region,
        clients,
        active_clients,
        revenue_12m,
        revenue_prior_12m,
        revenue_growth
    from performance
    where {{ row_filter('region') }}
)

select * from final
