{#
    stg_crm__delivery_quality counts what staging holds: per entity, delivered rows are the
    base table's rows, staged and rejected rows those of stg_crm__<entity> and
    stg_crm__<entity>_rejected, and the rejects per reason add up to the rejected rows. Any
    entity where a count differs is a failure.
#}
{%- set entities = raw_file_contract().keys() | list %}

with

quality as (
    select * from {{ ref('stg_crm__delivery_quality') }}
),

{% for entity in entities %}
{%- for part, table in [
    ('delivered', 'base_crm__' ~ entity),
    ('staged', 'stg_crm__' ~ entity),
    ('rejected', 'stg_crm__' ~ entity ~ '_rejected'),
] %}
{{ entity }}_{{ part }} as (
    select count(*) as row_count from {{ ref(table) }}
),
{% endfor %}
{{ entity }}_tables as (
    select
        '{{ entity }}' as entity,
        {{ entity }}_delivered.row_count as delivered_rows,
        {{ entity }}_staged.row_count as staged_rows,
        {{ entity }}_rejected.row_count as rejected_rows
    from {{ entity }}_delivered
    cross join {{ entity }}_staged
    cross join {{ entity }}_rejected
),

{% endfor -%}
tables as (
    {%- for entity in entities %}
    select * from {{ entity }}_tables
    {{- '\n    union all' if not loop.last }}
    {%- endfor %}
),

profiled as (
    select
        entity,
        sum(case when measure = 'rows' and subject = 'delivered' then row_count end)
            as delivered_rows,
        sum(case when measure = 'rows' and subject = 'staged' then row_count end)
            as staged_rows,
        sum(case when measure = 'rows' and subject = 'rejected' then row_count end)
            as rejected_rows,
        sum(case when measure = 'rejects' then row_count end) as rejects_by_reason
    from quality
    group by entity
),

final as (
    select
        tables.entity,
        tables.delivered_rows,
        profiled.delivered_rows as profiled_delivered_rows,
        tables.staged_rows,
        profiled.staged_rows as profiled_staged_rows,
        tables.rejected_rows,
        profiled.rejected_rows as profiled_rejected_rows,
        profiled.rejects_by_reason
    from tables
    left join profiled
        on tables.entity = profiled.entity
    where
        profiled.entity is null
        or tables.delivered_rows != profiled.delivered_rows
        or tables.staged_rows != profiled.staged_rows
        or tables.rejected_rows != profiled.rejected_rows
        or tables.rejected_rows != profiled.rejects_by_reason
)

select * from final
