{# ISO day of week of a date or timestamp: 1 = Monday … 7 = Sunday, whatever the session's week start. #}
{% macro iso_weekday(expr) -%}
    {{ return(adapter.dispatch('iso_weekday', 'customer_analytics')(expr)) }}
{%- endmacro %}

{% macro default__iso_weekday(expr) -%}
    dayofweekiso({{ expr }})
{%- endmacro %}

{% macro duckdb__iso_weekday(expr) -%}
    isodow({{ expr }})
{%- endmacro %}
