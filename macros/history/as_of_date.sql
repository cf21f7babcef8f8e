{#
    The warehouse's as-of date as a SQL date expression: a scalar read of the one-row model
    int_as_of_date, which computes it once per build (var('as_of_date') when given, else the day
    after the last staged transaction), so every consumer shows the dependency in the lineage and
    no consumer scans the invoice lines for it.
#}
{% macro as_of_date() -%}
    (select as_of_date from {{ ref('int_as_of_date') }})
{%- endmacro %}
