{#
    Recorded summary of each monitored client score (macros/metrics/score_monitoring.sql) on
    each recorded as-of date: clients, clients with a score, mean and 10th/50th/90th
    percentiles. Written by the same runs as the other history models
    (macros/history/as_of_history.sql); a snapshot on every recorded date.
#}
{{ config(pre_hook="{{ clear_recorded_from_as_of() }}") }}

{% set recorded = history_is_recorded() %}

with

scores as (
    select * from {{ ref('client_scores') }}
),

binned as (
    {{ binned_scores('scores') | indent(4) }}
),

summarised as (
    select
        score_name,
        count(*) as clients,
        count(score_value) as scored_clients,
        {#- Averaged as decimals: an exact sum, so two builds of the same scores agree to the
            last bit (a floating-point sum depends on the order threads add rows in). #}
        avg(cast(score_value as decimal(24, 9))) as mean_score,
        percentile_cont(0.1) within group (order by score_value) as p10_score,
        percentile_cont(0.5) within group (order by score_value) as p50_score,
        percentile_cont(0.9) within group (order by score_value) as p90_score
    from binned
    group by score_name
),

final as (
    select
        score_name,
        cast(clients as integer) as clients,
        cast(scored_clients as integer) as scored_clients,
        cast(mean_score as double) as mean_score,
        cast(p10_score as double) as p10_score,
        cast(p50_score as double) as p50_score,
        cast(p90_score as double) as p90_score,
        {{ as_of_date() }} as recorded_as_of
    from summarised
    {% if not recorded -%}
    where 1 = 0
    {%- endif %}
)

select * from final
