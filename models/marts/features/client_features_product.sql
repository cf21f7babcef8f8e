{#
    Product portfolio of each golden client as of the as-of date, from
    client_product_relationships: breadth (distinct products and categories bought), loyalty to
    products (share bought on more than one invoice) and the favourite category, the one with
    the highest net spend (ties: alphabetical), with its share of the client's net spend.
#}
with

clients as (
    select * from {{ ref('client_dim') }}
),

{# Two imports of the same table: one CTE read by both aggregates below made DuckDB hold all of
   its 7.3 M rows at L (the statement 10.6 → 8.0 CPU-s, peak buffer 657 → 452 MB without it). #}
relationships as (
    select * from {{ ref('client_product_relationships') }}
    where purchase_invoices > 0
),

categorised_relationships as (
    select * from {{ ref('client_product_relationships') }}
    where purchase_invoices > 0 and category is not null
),

portfolio as (
    select
        client_key,
        count(*) as distinct_products,
        count(distinct category) as distinct_categories,
        sum(case when purchase_invoices > 1 then 1 else 0 end) as repeat_products,
        sum(greatest(net_value, 0)) as positive_spend
    from relationships
    group by client_key
),

category_spend as (
    select
        client_key,
        category,
        sum(net_value) as category_value,
        row_number() over (
            partition by client_key
            order by sum(net_value) desc, category asc
        ) as category_rank
    from categorised_relationships
    group by client_key, category
),

final as (
    select
        clients.client_key,
        cast(coalesce(portfolio.distinct_products, 0) as integer) as distinct_products,
        cast(coalesce(portfolio.distinct_categories, 0) as integer) as distinct_categories,
        cast(
            portfolio.repeat_products / nullif(portfolio.distinct_products, 0) as decimal(9, 4)
        ) as repeat_product_share,
        favourite.category as favourite_category,
        cast(
            case
                when favourite.category is not null
                    then greatest(favourite.category_value, 0)
                        / nullif(portfolio.positive_spend, 0)
            end as decimal(9, 4)
        ) as favourite_category_share
    from clients
    left join portfolio
        on clients.client_key = portfolio.client_key
    left join category_spend as favourite
        on
            clients.client_key = favourite.client_key
            and favourite.category_rank = 1
)

select * from final
