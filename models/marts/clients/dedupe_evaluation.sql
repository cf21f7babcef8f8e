{#
    Pairwise quality of the client dedupe against ground truth, when a ground_truth file/table
    is present (generated data ships one); otherwise the model is empty. A pair is two staged
    records; it is predicted when both share a client_key and true when both share an entity.
#}
with

xref as (
    select * from {{ ref('client_xref') }}
),

truth as (
    select
        trim(ground_truth.client_id) as source_client_id,
        trim(ground_truth.entity_id) as entity_id
    from {{ optional_source('crm', 'ground_truth', ['client_id', 'entity_id']) }} as ground_truth
),

labelled as (
    select
        xref.client_key,
        truth.entity_id
    from xref
    inner join truth
        on xref.source_client_id = truth.source_client_id
),

predicted_clusters as (
    select count(*) as members
    from labelled
    group by client_key
),

true_entities as (
    select count(*) as members
    from labelled
    group by entity_id
),

agreements as (
    select count(*) as members
    from labelled
    group by client_key, entity_id
),

counts as (
    select
        (select count(*) as n from labelled) as records,
        (select count(*) as n from predicted_clusters) as predicted_clusters,
        (select count(*) as n from true_entities) as true_entities,
        (select sum(members * (members - 1) / 2) as n from predicted_clusters) as predicted_pairs,
        (select sum(members * (members - 1) / 2) as n from true_entities) as true_pairs,
        (select sum(members * (members - 1) / 2) as n from agreements) as true_positive_pairs
),

rates as (
    select
        *,
        true_positive_pairs / nullif(predicted_pairs, 0) as pairwise_precision,
        true_positive_pairs / nullif(true_pairs, 0) as pairwise_recall
    from counts
),

scored as (
    select
        *,
        2 * pairwise_precision * pairwise_recall
        / nullif(pairwise_precision + pairwise_recall, 0) as pairwise_f1,
        {{ var('dedupe_match_threshold') }} as match_threshold
    from rates
    where records > 0
),

{%- set metrics = [
    'records', 'predicted_clusters', 'true_entities', 'predicted_pairs', 'true_pairs',
    'true_positive_pairs', 'pairwise_precision', 'pairwise_recall', 'pairwise_f1',
    'match_threshold',
] %}

final as (
    {%- for metric in metrics %}
    select
        cast('client_dedupe' as {{ dbt.type_string() }}) as model_name,
        cast('{{ metric }}' as {{ dbt.type_string() }}) as metric_name,
        cast({{ metric }} as double) as metric_value
    from scored
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select * from final
