{# A recommendation of a product the client already has (bought or cancelled) is a failure. #}
with

recommendations as (
    select * from {{ ref('client_recommendations') }}
),

relationships as (
    select * from {{ ref('client_product_relationships') }}
),

final as (
    select
        recommendations.client_key,
        recommendations.product_key,
        relationships.purchase_invoices
    from recommendations
    inner join relationships
        on
            recommendations.client_key = relationships.client_key
            and recommendations.product_key = relationships.product_key
)

select * from final
