{#
    Recorded history of model_metrics: every model's fit parameters and quality metrics as they
    were on each recorded as-of date, one row per model, metric and date. Metrics are stored by
    name (model_name, metric_name), so a metric added or renamed needs no change here. Written
    by the same runs, under the same rules, as the other history models
    (macros/history/as_of_history.sql); a snapshot on every recorded date, not change rows.
#}
{{ config(pre_hook="{{ clear_recorded_from_as_of() }}") }}

{% set recorded = history_is_recorded() %}

with

metrics as (
    select * from {{ ref('model_metrics') }}
),

final as (
    select
        model_name,
        metric_name,
        metric_value,
        message,
        {{ as_of_date() }} as recorded_as_of
    from metrics
    {% if not recorded -%}
    where 1 = 0
    {%- endif %}
)

select * from final
