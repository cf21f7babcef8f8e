{#
    Recorded data quality of each delivery (stg_crm__delivery_quality) on each recorded as-of
    date: rows delivered, staged and rejected, rejects per reason and empty values per raw
    column. Written by the same runs as the other history models
    (macros/history/as_of_history.sql); a copy on every recorded date.
#}
{{ config(pre_hook="{{ clear_recorded_from_as_of() }}") }}

{% set recorded = history_is_recorded() %}

with

delivery_quality as (
    select * from {{ ref('stg_crm__delivery_quality') }}
),

final as (
    select
        delivery_date,
        entity,
        measure,
        subject,
        description,
        row_count,
        share_of_delivered,
        {{ as_of_date() }} as recorded_as_of
    from delivery_quality
    {% if not recorded -%}
    where 1 = 0
    {%- endif %}
)

select * from final
