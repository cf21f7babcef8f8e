{#
    The warehouse's as-of date as a SQL date expression: var('as_of_date') when given, else the
    day after the last staged transaction. Never the wall clock, so two builds on the same input
    give the same tables.
#}
{% macro as_of_date() -%}
    {%- if var('as_of_date') -%}
        cast('{{ var('as_of_date') }}' as date)
    {%- else -%}
        (
            select cast({{ dbt.dateadd('day', 1, 'max(invoice_date)') }} as date)
            from {{ ref('stg_crm__transactions') }}
        )
    {%- endif -%}
{%- endmacro %}
