{#
    Regex helpers whose function names and flags differ between warehouses.
    Patterns are POSIX-style and written without backslashes ([0-9], [.], [[:space:]]) so the same
    literal means the same thing in DuckDB's RE2 and Snowflake's POSIX engine.
#}

{# True when the whole of `expr` matches `pattern` (no anchors needed). #}
{% macro is_full_match(expr, pattern) -%}
    {{ return(adapter.dispatch('is_full_match', 'customer_analytics')(expr, pattern)) }}
{%- endmacro %}

{% macro default__is_full_match(expr, pattern) -%}
    regexp_like({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__is_full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{# Replaces every match (DuckDB replaces only the first one unless given the 'g' flag). #}
{% macro regexp_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'customer_analytics')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{% macro duckdb__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}
