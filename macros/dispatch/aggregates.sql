{# Values joined into one string in sorted order (DuckDB string_agg vs Snowflake listagg). #}
{% macro sorted_string_agg(expr, separator) -%}
    {{ return(ordered_string_agg(expr, expr, separator)) }}
{%- endmacro %}

{# Values joined into one string in the order of another expression (e.g. a rank). #}
{% macro ordered_string_agg(expr, order_by, separator) -%}
    {{ return(adapter.dispatch('ordered_string_agg', 'customer_analytics')(expr, order_by, separator)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(expr, order_by, separator) -%}
    listagg({{ expr }}, '{{ separator }}') within group (order by {{ order_by }})
{%- endmacro %}

{% macro duckdb__ordered_string_agg(expr, order_by, separator) -%}
    string_agg({{ expr }}, '{{ separator }}' order by {{ order_by }})
{%- endmacro %}
