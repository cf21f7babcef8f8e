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

{#
    A 'YYYY-MM-DD[ HH:MM[:SS]]' string as a timestamp without zone, NULL when it is not a real
    date or time (month 13, 25:00). Snowflake's try_cast guesses among many input formats; the
    explicit formats parse only these three.
#}
{% macro try_cast_timestamp(expr) -%}
    {{ return(adapter.dispatch('try_cast_timestamp', 'customer_analytics')(expr)) }}
{%- endmacro %}

{% macro default__try_cast_timestamp(expr) -%}
    try_cast({{ expr }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro snowflake__try_cast_timestamp(expr) -%}
    coalesce(
        try_to_timestamp_ntz({{ expr }}, 'YYYY-MM-DD HH24:MI:SS'),
        try_to_timestamp_ntz({{ expr }}, 'YYYY-MM-DD HH24:MI'),
        try_to_timestamp_ntz({{ expr }}, 'YYYY-MM-DD')
    )
{%- endmacro %}
