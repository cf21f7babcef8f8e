{#
    A stable pseudo-random number in [0, 1) derived from a text key: the first 32 bits of its
    MD5. Identical on every warehouse and every run, unlike built-in hash() functions.
#}
{% macro hash_fraction(expr) -%}
    {{ return(adapter.dispatch('hash_fraction', 'customer_analytics')(expr)) }}
{%- endmacro %}

{% macro default__hash_fraction(expr) -%}
    (to_number(left(md5({{ expr }}), 8), 'XXXXXXXX') / 4294967296.0)
{%- endmacro %}

{% macro duckdb__hash_fraction(expr) -%}
    (cast(('0x' || left(md5({{ expr }}), 8)) as ubigint) / 4294967296.0)
{%- endmacro %}

{# fakesnow (the CI emulator) has no hex format for to_number; its DuckDB engine casts '0x…'. #}
{% macro snowflake__hash_fraction(expr) -%}
    {%- if is_fakesnow() -%}
        (cast(('0x' || left(md5({{ expr }}), 8)) as bigint) / 4294967296.0)
    {%- else -%}
        {{ default__hash_fraction(expr) }}
    {%- endif -%}
{%- endmacro %}
