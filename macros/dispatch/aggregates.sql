{# Values joined into one string in sorted order. #}
{% macro sorted_string_agg(expr, separator) -%}
    {{ return(ordered_string_agg(expr, expr, separator)) }}
{%- endmacro %}

{# Values joined into one string in the order of another expression (e.g. a rank): dbt's
   cross-database listagg (string_agg on DuckDB, listagg … within group on Snowflake). #}
{% macro ordered_string_agg(expr, order_by, separator) -%}
    {{ return(dbt.listagg(expr, "'" ~ separator ~ "'", 'order by ' ~ order_by)) }}
{%- endmacro %}
