{# One row per cross-sell rule A → B with both products' descriptions; not regional. #}
with

rules as (
    select * from {{ ref('cross_sell_rules') }}
),

products as (
    select * from {{ ref('product_dim') }}
),

final as (
    select
        rules.antecedent_product_key,
        antecedents.description as antecedent_description,
        rules.consequent_product_key,
        consequents.description as consequent_description,
        rules.pair_baskets,
        rules.support,
        rules.confidence,
        rules.lift
    from rules
    inner join products as antecedents
        on rules.antecedent_product_key = antecedents.product_key
    inner join products as consequents
        on rules.consequent_product_key = consequents.product_key
    where {{ role_filter() }}
)

select * from final
