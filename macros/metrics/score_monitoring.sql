{#
    The client scores whose distributions are recorded on every as-of date (score_summary_history,
    score_distribution_history) and compared between recorded dates (score_drift), each with
    fixed bin cut points, so the bins, and the population stability index over them, never
    depend on the data. A bin holds [cut before, next cut); the first is open below, the last
    open above; bin 0 holds the clients without a score (no purchases). docs/model_monitoring.md.

    probabilities: 0.05 and 0.95 cut the tails finer than deciles, where most clients sit.
    clv_12m: half-decade cut points in the warehouse currency (1, 3, 10, ..., 10,000).
#}
{% macro monitored_scores() %}
    {% set probability_cuts = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95] %}
    {% set clv_cuts = [1, 3, 10, 30, 100, 300, 1000, 3000, 10000] %}
    {{ return({
        'churn_probability': probability_cuts,
        'p_alive': probability_cuts,
        'clv_12m': clv_cuts,
    }) }}
{% endmacro %}

{# One row per client and monitored score of `relation` (client_scores): score_name,
   score_value (double, NULL without a score) and its bin_index. #}
{% macro binned_scores(relation) %}
    {%- for score_name, cuts in monitored_scores().items() %}
    select
        '{{ score_name }}' as score_name,
        cast({{ score_name }} as double) as score_value,
        case
            when {{ score_name }} is null then 0
            {%- for cut in cuts %}
            when {{ score_name }} < {{ cut }} then {{ loop.index }}
            {%- endfor %}
            else {{ cuts | length + 1 }}
        end as bin_index
    from {{ relation }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{% endmacro %}

{# Every bin of every monitored score: score_name, bin_index, bin_lower, bin_upper (NULL where
   open), bin_label. #}
{% macro score_bins() %}
    {%- for score_name, cuts in monitored_scores().items() %}
    {%- set outer = loop %}
    select
        '{{ score_name }}' as score_name,
        0 as bin_index,
        cast(null as double) as bin_lower,
        cast(null as double) as bin_upper,
        'no score' as bin_label
    {%- for index in range(cuts | length + 1) %}
    {%- set lower = cuts[index - 1] if index > 0 else none %}
    {%- set upper = cuts[index] if index < cuts | length else none %}
    union all
    select
        '{{ score_name }}' as score_name,
        {{ index + 1 }} as bin_index,
        cast({{ 'null' if lower is none else lower }} as double) as bin_lower,
        cast({{ 'null' if upper is none else upper }} as double) as bin_upper,
        '{{ ('< ' ~ upper) if lower is none else (('>= ' ~ lower) if upper is none else (lower ~ ' to < ' ~ upper)) }}' as bin_label
    {%- endfor %}
    {{ 'union all' if not outer.last }}
    {%- endfor %}
{% endmacro %}
