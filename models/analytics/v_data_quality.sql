{#
    Data quality of every recorded delivery (data_quality_history), for the people who fix
    loads: rows delivered, staged and rejected per entity, rejects per reason, empty values per
    raw column. Not for SALES_LEADERSHIP: it describes raw rows of every region.
#}
{% set readers = ['DATA_ENGINEER', 'CRM_ANALYST'] %}
{{ config(grants=analytics_readers(readers)) }}

with

delivery_quality as (
    select * from {{ ref('data_quality_history') }}
),

final as (
    select
        recorded_as_of,
        delivery_date,
        entity,
        measure,
        subject,
        description,
        row_count,
        share_of_delivered
    from delivery_quality
    where {{ role_filter(readers) }}
)

select * from final
