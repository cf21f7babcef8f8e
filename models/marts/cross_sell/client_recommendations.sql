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

rules as (
    select * from {{ ref('cross_sell_rules') }}
),

products as (
    select * from {{ ref('product_dim') }}
),

clients as (
    select * from {{ ref('client_dim') }}
),

client_numbers as (
    {{ client_numbers('clients') }}
),

{# Only products in a rule lead to or are an offer. Numbered in product_key order, they key the
    15 M candidates at 10 M lines together with the client numbers (macro client_numbers), and a
    client's other products leave at the first join (at 50 M lines the statement alone took
    26.8 → 17.2 s). #}
rule_product_keys as (
    select antecedent_product_key as product_key from rules
    union
    select consequent_product_key as product_key from rules
),

rule_products as (
    select
        product_key,
        row_number() over (order by product_key) as product_number
    from rule_product_keys
),

numbered_relationships as (
    select
        client_numbers.client_number,
        rule_products.product_number,
        all_relationships.purchase_invoices
    from all_relationships
    inner join client_numbers
        on all_relationships.client_key = client_numbers.client_key
    inner join rule_products
        on all_relationships.product_key = rule_products.product_key
),

relationships as (
    select * from numbered_relationships
    where purchase_invoices > 0
),

{# A client reaches a candidate through each rule whose antecedent it bought: the strongest of
   them is the one with the lowest rule_order among the consequent's rules, so one grouped pass
   over the client's candidates picks it (a window over them sorted every candidate). A
   consequent discontinued or unknown loses all its rules: the others keep their order. #}
ordered_rules as (
    select
        rules.*,
        antecedent.product_number as antecedent_number,
        consequent.product_number as consequent_number,
        row_number() over (
            partition by rules.consequent_product_key
            order by rules.confidence desc, rules.lift desc, rules.antecedent_product_key asc
        ) as rule_order
    from rules
    inner join rule_products as antecedent
        on rules.antecedent_product_key = antecedent.product_key
    inner join rule_products as consequent
        on rules.consequent_product_key = consequent.product_key
    inner join products
        on rules.consequent_product_key = products.product_key
    where coalesce(products.status, 'active') <> 'discontinued'
),

candidate_rules as (
    select
        relationships.client_number,
        ordered_rules.consequent_number,
        min(ordered_rules.rule_order) as rule_order,
        count(*) as supporting_rules
    from relationships
    inner join ordered_rules
        on relationships.product_number = ordered_rules.antecedent_number
    left join numbered_relationships as already_bought
        on
            relationships.client_number = already_bought.client_number
            and ordered_rules.consequent_number = already_bought.product_number
    where already_bought.product_number is null
    group by relationships.client_number, ordered_rules.consequent_number
),

candidates as (
    select
        candidate_rules.client_number,
        ordered_rules.consequent_product_key as product_key,
        ordered_rules.antecedent_product_key as because_of_product_key,
        ordered_rules.confidence,
        ordered_rules.lift,
        candidate_rules.supporting_rules
    from candidate_rules
    inner join ordered_rules
        on
            candidate_rules.consequent_number = ordered_rules.consequent_number
            and candidate_rules.rule_order = ordered_rules.rule_order
),

ranked as (
    select
        *,
        row_number() over (
            partition by client_number
            order by confidence desc, lift desc, product_key asc
        ) as recommendation_rank
    from candidates
),

final as (
    select
        client_numbers.client_key,
        cast(ranked.recommendation_rank as integer) as recommendation_rank,
        ranked.product_key,
        ranked.because_of_product_key,
        cast(ranked.confidence as double) as confidence,
        cast(ranked.lift as double) as lift,
        cast(ranked.supporting_rules as integer) as supporting_rules
    from ranked
    inner join client_numbers
        on ranked.client_number = client_numbers.client_number
    where ranked.recommendation_rank <= {{ var('recommendations_per_client') }}
)

select * from final
