{#
    Segment tier per golden client: the best-ranked tier in the client_tiers seed for which the
    client's annual revenue or its spend over the last 12 months reaches the tier's minimum.
    The last tier has zero minimums, so every client gets one.
#}
with

clients as (
    select * from {{ ref('client_dim') }}
),

spend as (
    select * from {{ ref('int_client_spend_recent') }}
),

tiers as (
    select * from {{ ref('client_tiers') }}
),

qualifying as (
    select
        clients.client_key,
        clients.annual_revenue,
        spend.spend_12m,
        tiers.tier,
        tiers.tier_rank,
        row_number() over (partition by clients.client_key order by tiers.tier_rank asc) as choice
    from clients
    inner join spend
        on clients.client_key = spend.client_key
    inner join tiers
        on
            coalesce(clients.annual_revenue, 0) >= tiers.min_annual_revenue
            or spend.spend_12m >= tiers.min_spend_12m
),

final as (
    select
        client_key,
        tier,
        tier_rank,
        annual_revenue,
        spend_12m
    from qualifying
    where choice = 1
)

select * from final
