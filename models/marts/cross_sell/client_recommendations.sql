{#
    Top products to offer each golden client: consequents of cross-sell rules whose antecedent
    the client has bought, which it has not bought (or cancelled) itself and which are still sold (not
    discontinued). A candidate reached through several of the client's products keeps its
    strongest rule — highest confidence, then lift, then antecedent code — which is named as
    the reason. Ranked by that confidence, then lift, then product code, so ties are stable.
#}
with

all_relationships as (
    select * from {{ ref('client_product_relationships') }}
),

relationships as (
    select * from all_relationships
    where purchase_invoices > 0
),

rules as (
    select * from {{ ref('cross_sell_rules') }}
),

products as (
    select * from {{ ref('product_dim') }}
),

candidates as (
    select
        relationships.client_key,
        rules.consequent_product_key as product_key,
        rules.antecedent_product_key as because_of_product_key,
        rules.confidence,
        rules.lift,
        row_number() over (
            partition by relationships.client_key, rules.consequent_product_key
            order by rules.confidence desc, rules.lift desc, rules.antecedent_product_key asc
        ) as rule_rank,
        count(*) over (
            partition by relationships.client_key, rules.consequent_product_key
        ) as supporting_rules
    from relationships
    inner join rules
        on relationships.product_key = rules.antecedent_product_key
    inner join products
        on rules.consequent_product_key = products.product_key
    left join all_relationships as already_bought
        on
            relationships.client_key = already_bought.client_key
            and rules.consequent_product_key = already_bought.product_key
    where
        already_bought.product_key is null
        and coalesce(products.status, 'active') <> 'discontinued'
),

ranked as (
    select
        *,
        row_number() over (
            partition by client_key
            order by confidence desc, lift desc, product_key asc
        ) as recommendation_rank
    from candidates
    where rule_rank = 1
),

final as (
    select
        client_key,
        cast(recommendation_rank as integer) as recommendation_rank,
        product_key,
        because_of_product_key,
        cast(confidence as double) as confidence,
        cast(lift as double) as lift,
        cast(supporting_rules as integer) as supporting_rules
    from ranked
    where recommendation_rank <= {{ var('recommendations_per_client') }}
)

select * from final
