{#
    Safe parsers for raw text. Each returns NULL for a value that is not in the raw file contract's
    format, never an error, so staging can reject the row with a reason instead of failing the build.
    The shape is checked with a regex first because warehouses cast leniently in different ways
    (Snowflake rounds '1.5' to an integer and guesses day/month order in dates; DuckDB does not);
    try_cast then catches what the shape cannot (2024-02-30, numeric overflow). Not dbt.safe_cast:
    dbt-duckdb has none, so dbt's default, a plain cast, would fail the build on such a value.
#}

{# Trimmed text, with internal runs of whitespace collapsed and empty strings turned into NULL. #}
{% macro clean_text(expr) -%}
    nullif(trim({{ regexp_replace_all(expr, '[[:space:]]+', ' ') }}), '')
{%- endmacro %}

{% macro parse_integer(expr) -%}
    case
        when {{ is_full_match('trim(' ~ expr ~ ')', '[-+]?[0-9]{1,18}') }}
            then try_cast(trim({{ expr }}) as bigint)
    end
{%- endmacro %}

{% macro parse_decimal(expr, precision=18, scale=2) -%}
    case
        when {{ is_full_match('trim(' ~ expr ~ ')', '[-+]?[0-9]{1,15}([.][0-9]+)?') }}
            then try_cast(trim({{ expr }}) as decimal({{ precision }}, {{ scale }}))
    end
{%- endmacro %}

{# ISO 8601 date: YYYY-MM-DD. #}
{% macro parse_date(expr) -%}
    case
        when {{ is_full_match('trim(' ~ expr ~ ')', '[0-9]{4}-[0-9]{2}-[0-9]{2}') }}
            then try_cast(trim({{ expr }}) as date)
    end
{%- endmacro %}

{# ISO 8601 timestamp without zone: YYYY-MM-DD, optionally followed by [ T]HH:MM[:SS]. #}
{% macro parse_timestamp(expr) -%}
    case
        when {{ is_full_match(
            'trim(' ~ expr ~ ')',
            '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?'
        ) }}
            then {{ try_cast_timestamp("replace(trim(" ~ expr ~ "), 'T', ' ')") }}
    end
{%- endmacro %}

{# True when the raw value is present but the parsed value is not: the value is malformed. #}
{% macro is_malformed(raw_expr, parsed_expr) -%}
    ({{ clean_text(raw_expr) }} is not null and {{ parsed_expr }} is null)
{%- endmacro %}
