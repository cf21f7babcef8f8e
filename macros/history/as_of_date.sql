{#
    The warehouse's as-of date as a SQL date expression. Derived from the data, it is a scalar
    read of the one-row model int_as_of_date, which computes it once per build (the day after the
    last staged transaction), so every consumer shows the dependency in the lineage and none scans
    the invoice lines for it. Given as var('as_of_date') (a what-if build, or recording a chosen
    date), it is that literal, so a build that selects only some models still uses the date it
    was given rather than what int_as_of_date last stored.
#}
{% macro as_of_date() -%}
    {%- if var('as_of_date') -%}
        cast('{{ var('as_of_date') }}' as date)
    {%- else -%}
        (select as_of_date from {{ ref('int_as_of_date') }})
    {%- endif -%}
{%- endmacro %}
