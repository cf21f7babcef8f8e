{#
    How much of the catalogue clients reach: per product category, the products in it, the
    products ever bought, the clients buying it and its share of spend, as of the as-of date.
#}
with

products as (
    select * from {{ ref('product_dim') }}
    where not is_non_product
),

relationships as (
    select * from {{ ref('client_product_relationships') }}
    where purchase_invoices > 0
),

catalogue as (
    select
        coalesce(category, '(not in the master)') as category,
        count(*) as products
    from products
    group by coalesce(category, '(not in the master)')
),

bought as (
    select
        coalesce(category, '(not in the master)') as category,
        count(distinct product_key) as products_bought,
        count(distinct client_key) as clients,
        sum(net_value) as net_value
    from relationships
    group by coalesce(category, '(not in the master)')
),

final as (
    select
        catalogue.category,
        catalogue.products,
        coalesce(bought.products_bought, 0) as products_bought,
        round(100.0 * coalesce(bought.products_bought, 0) / catalogue.products, 1)
            as percent_of_products_bought,
        coalesce(bought.clients, 0) as clients,
        round(100.0 * bought.net_value / sum(bought.net_value) over (), 1) as percent_of_spend
    from catalogue
    left join bought
        on catalogue.category = bought.category
)

select * from final
order by percent_of_spend desc nulls last
