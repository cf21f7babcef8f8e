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

{# A client reaches a candidate through each rule whose antecedent it bought: the strongest of
   them is the one with the lowest rule_order among the consequent's rules, so one grouped pass
   over the client's candidates picks it (a window over them sorted every candidate). #}
ordered_rules as (
    select
        *,
        row_number() over (
            partition by consequent_product_key
            order by confidence desc, lift desc, antecedent_product_key asc
        ) as rule_order
    from rules
),

candidate_rules as (
    select
        relationships.client_key,
        ordered_rules.consequent_product_key as product_key,
        min(ordered_rules.rule_order) as rule_order,
        count(*) as supporting_rules
    from relationships
    inner join ordered_rules
        on relationships.product_key = ordered_rules.antecedent_product_key
    inner join products
        on ordered_rules.consequent_product_key = products.product_key
    left join all_relationships as already_bought
        on
            relationships.client_key = already_bought.client_key
            and ordered_rules.consequent_product_key = already_bought.product_key
    where
        already_bought.product_key is null
        and coalesce(products.status, 'active') <> 'discontinued'
    group by relationships.client_key, ordered_rules.consequent_product_key
),

candidates as (
    select
        candidate_rules.client_key,
        candidate_rules.product_key,
        ordered_rules.antecedent_product_key as because_of_product_key,
        ordered_rules.confidence,
        ordered_rules.lift,
        candidate_rules.supporting_rules
    from candidate_rules
    inner join ordered_rules
        on
            candidate_rules.product_key = ordered_rules.consequent_product_key
            and candidate_rules.rule_order = ordered_rules.rule_order
),

ranked as (
    select
        *,
        row_number() over (
            partition by client_key
            order by confidence desc, lift desc, product_key asc
        ) as recommendation_rank
    from candidates
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
