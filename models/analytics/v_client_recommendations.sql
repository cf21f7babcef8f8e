{#
    The products to offer each golden client, best first, each with the client's own product
    whose cross-sell rule suggests it (client_recommendations), described for a CRM screen.
    Sales leadership sees its regions only. The region filter applies to the clients before the
    joins: after them, DuckDB 1.1 (the oldest client of a published file) took two minutes on
    the 8,588 rows of the sample.
#}
with

recommendations as (
    select * from {{ ref('client_recommendations') }}
),

clients as (
    select * from {{ ref('client_dim') }}
    where {{ row_filter('region') }}
),

products as (
    select * from {{ ref('product_dim') }}
),

final as (
    select
        recommendations.client_key,
        clients.region,
        recommendations.recommendation_rank,
        recommendations.product_key,
        recommended.description as product_name,
        recommended.category,
        recommendations.because_of_product_key,
        because_of.description as because_of_product_name,
        recommendations.confidence,
        recommendations.lift,
        recommendations.supporting_rules
    from recommendations
    inner join clients
        on recommendations.client_key = clients.client_key
    inner join products as recommended
        on recommendations.product_key = recommended.product_key
    inner join products as because_of
        on recommendations.because_of_product_key = because_of.product_key
)

select * from final
