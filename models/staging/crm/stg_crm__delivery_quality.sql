{#
    What the current delivery of the raw files held, per entity: rows delivered, staged and
    rejected; rejects per reason, every documented reason listed (0 when none) and any other
    reason too; and per raw column, the rows that left it empty (macro raw_value_is_empty).
    data_quality_history keeps a copy per recorded as-of date, which v_data_quality shows.
#}
{%- set contract = raw_file_contract() %}

with

{% for entity in contract %}
{{ entity }} as (
    select * from {{ ref('base_crm__' ~ entity) }}
),

{% endfor -%}
reasons as (
    select * from {{ ref('reject_reasons') }}
),

{% for entity, columns in contract.items() %}
{{ entity }}_counted as (
    select
        {%- for column in columns %}
        count_if({{ raw_value_is_empty(entity, column) }}) as empty_{{ column }},
        {%- endfor %}
        count(*) as delivered_rows,
        count(reject_reason) as rejected_rows
    from {{ entity }}
),

{{ entity }}_rejects as (
    select
        reject_reason,
        count(*) as rejected_rows
    from {{ entity }}
    where reject_reason is not null
    group by reject_reason
),

{{ entity }}_documented as (
    select * from reasons
    where entity = '{{ entity }}'
),

{{ entity }}_reasons as (
    select
        coalesce(
            {{ entity }}_documented.reason_code, {{ entity }}_rejects.reject_reason
        ) as reject_reason,
        {{ entity }}_documented.description,
        coalesce({{ entity }}_rejects.rejected_rows, 0) as rejected_rows
    from {{ entity }}_documented
    full outer join {{ entity }}_rejects
        on {{ entity }}_documented.reason_code = {{ entity }}_rejects.reject_reason
),

{{ entity }}_measures as (
    select
        'rows' as measure,
        'delivered' as subject,
        'Rows in the delivered file' as description,
        delivered_rows as row_count
    from {{ entity }}_counted
    union all
    select
        'rows' as measure,
        'staged' as subject,
        'Rows staged (stg_crm__{{ entity }})' as description,
        delivered_rows - rejected_rows as row_count
    from {{ entity }}_counted
    union all
    select
        'rows' as measure,
        'rejected' as subject,
        'Rows rejected (stg_crm__{{ entity }}_rejected)' as description,
        rejected_rows as row_count
    from {{ entity }}_counted
    union all
    select
        'rejects' as measure,
        reject_reason as subject,
        description,
        rejected_rows as row_count
    from {{ entity }}_reasons
    {%- for column in columns %}
    union all
    select
        'empty_values' as measure,
        '{{ column }}' as subject,
        'Rows whose {{ column }} is empty' as description,
        empty_{{ column }} as row_count
    from {{ entity }}_counted
    {%- endfor %}
),

{% endfor -%}
measured as (
    {%- for entity in contract %}
    select
        '{{ entity }}' as entity,
        {{ entity }}_measures.measure,
        {{ entity }}_measures.subject,
        {{ entity }}_measures.description,
        {{ entity }}_measures.row_count,
        {{ entity }}_counted.delivered_rows
    from {{ entity }}_measures
    cross join {{ entity }}_counted
    {{- '\n    union all' if not loop.last }}
    {%- endfor %}
),

final as (
    select
        cast('{{ delivery_date() }}' as date) as delivery_date,
        entity,
        measure,
        subject,
        description,
        cast(row_count as bigint) as row_count,
        cast(row_count as double) / nullif(delivered_rows, 0) as share_of_delivered
    from measured
)

select * from final
