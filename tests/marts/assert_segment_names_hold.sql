{#
    Every word of a behaviour segment's name is true of the built segment (docs/segments.md):
    a claim word holds when the segment's median AND at least 75 % of its members satisfy it,
    measured here on client_scores and client_features, independently of the Python model
    that chose the names. Also fails on a name with a word outside the vocabulary, and on a
    'No Purchases' segment holding a client who bought. Returns one row per failed claim or unknown name.

    The claims, as in python_models/scoring/int_client_segments.py (DIMENSIONS): word, the
    client_features column, the comparison, and the threshold: the churn horizon, the median
    over buying clients, or zero.
#}
{%- set claims = [
    ('Cancelling', 'cancelled_invoices', '>', 'zero'),
    ('Active', 'recency_days', '<=', 'horizon'),
    ('Lapsed', 'recency_days', '>', 'horizon'),
    ('Frequent', 'frequency', '>', 'median'),
    ('Infrequent', 'frequency', '<=', 'median'),
    ('High-Value', 'monetary', '>', 'median'),
    ('Low-Value', 'monetary', '<=', 'median'),
] -%}
{%- set neutral_words = ['Mixed-Recency', 'Mixed-Frequency', 'Mixed-Value'] -%}
{%- set any_word = '(' ~ ((claims | map(attribute=0) | list) + neutral_words) | join('|') ~ ')' -%}
{#- Vocabulary words separated by spaces, and the number telling apart two segments making the
    same claims. -#}
{%- set name_pattern = any_word ~ '( ' ~ any_word ~ ')*( [0-9]+)?' -%}
{%- set min_member_share = 0.75 -%}

with

scores as (
    select * from {{ ref('client_scores') }}
),

features as (
    select * from {{ ref('client_features') }}
),

buyer_medians as (
    select
        median(frequency) as median_frequency,
        median(monetary) as median_monetary
    from features
    where frequency > 0
),

members as (
    select
        scores.segment_id,
        scores.segment_name,
        features.cancelled_invoices,
        features.recency_days,
        features.frequency,
        features.monetary,
        0 as zero_threshold,
        {{ var('churn_horizon_days') }} as horizon_threshold,
        buyer_medians.median_frequency,
        buyer_medians.median_monetary
    from scores
    inner join features
        on scores.client_key = features.client_key
    cross join buyer_medians
),

claim_checks as (
    {%- for word, column, operator, threshold in claims %}
    {%- set threshold_expr = 'median_' ~ column if threshold == 'median'
        else threshold ~ '_threshold' %}
    select
        segment_id,
        segment_name,
        '{{ word }}' as claim,
        count(*) as members,
        median({{ column }}) as segment_median,
        max({{ threshold_expr }}) as threshold_value,
        avg(case when {{ column }} {{ operator }} {{ threshold_expr }} then 1.0 else 0.0 end)
            as member_share
    from members
    where ' ' || segment_name || ' ' like '% {{ word }} %'
    group by segment_id, segment_name
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

failed_claims as (
    select
        segment_id,
        segment_name,
        claim,
        members,
        segment_median,
        threshold_value,
        member_share
    from claim_checks
    where
        member_share < {{ min_member_share }}
        or not (
            {%- for word, column, operator, threshold in claims %}
            (claim = '{{ word }}' and segment_median {{ operator }} threshold_value)
            {{ 'or' if not loop.last }}
            {%- endfor %}
        )
),

unknown_words as (
    select distinct
        segment_id,
        segment_name,
        'name outside the vocabulary' as claim,
        cast(null as integer) as members,
        cast(null as double) as segment_median,
        cast(null as double) as threshold_value,
        cast(null as double) as member_share
    from scores
    where
        segment_name not in ('No Purchases', 'All Buyers')
        and not {{ is_full_match('segment_name', name_pattern) }}
),

buyers_without_purchases as (
    select
        segment_id,
        segment_name,
        'No Purchases' as claim,
        count(*) as members,
        cast(null as double) as segment_median,
        cast(null as double) as threshold_value,
        cast(null as double) as member_share
    from members
    where segment_name = 'No Purchases' and frequency > 0
    group by segment_id, segment_name
)

select * from failed_claims
union all
select * from unknown_words
union all
select * from buyers_without_purchases
