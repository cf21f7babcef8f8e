{#
    Product ownership: every product each golden client has bought or cancelled, with first and
    last purchase, invoices, net units and value (client_product_relationships). Sales leadership
    sees its regions only.
#}
with

relationships as (
    select * from {{ ref('client_product_relationships') }}
),

clients as (
    select * from {{ ref('client_dim') }}
),

products as (
    select * from {{ ref('product_dim') }}
),

final as (
    select
        relationships.client_key,
        clients.region,
        relationships.product_key,
        products.description as product_name,
        relationships.category,
        relationships.first_purchase_date,
        relationships.last_purchase_date,
        relationships.purchase_invoices,
        relationships.net_quantity,
        relationships.net_value,
        relationships.cancelled_value
    from relationships
    inner join clients
        on relationships.client_key = clients.client_key
    inner join products
        on relationships.product_key = products.product_key
    where {{ row_filter('clients.region') }}
)

select * from final
