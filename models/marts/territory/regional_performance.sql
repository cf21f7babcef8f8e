with

clients as (
    select * from {{ ref('client_dim') }}
),

spend as (
    select * from {{ ref('int_client_spend_recent') }}
),

regional as (
    select
        clients.region,
        count(*) as clients,
        sum(case when spend.spend_12m > 0 then 1 else 0 end) as active_clients,
        sum(spend.spend_12m) as revenue_12m,
        sum(spend.spend_prior_12m) as revenue_prior_12m
    from clients
    inner join spend
        on clients.client_key = spend.client_key
    group by clients.region
),

final as (
    select
        region,
        clients,
        cast(active_clients as bigint) as active_clients,
        cast(revenue_12m as decimal(18, 2)) as revenue_12m,
        cast(revenue_prior_12m as decimal(18, 2)) as revenue_prior_12m,
        cast(
            (revenue_12m - revenue_prior_12m) / nullif(revenue_prior_12m, 0) as double
        ) as revenue_growth
    from regional
)

select * from final
