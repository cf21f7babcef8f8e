{#
    Bounds on well-formed raw values. A date or an amount can parse and still be impossible: an
    invoice dated 2031 would move the as-of date of the whole warehouse and make every client
    look churned, year 1 or 9999 is outside what pandas can hold, and quantity 10^14 at price
    1000 overflows the decimal(18, 2) of line and invoice amounts. Rows outside the bounds are
    rejected like malformed ones. docs/raw_input.md explains the choice of each bound.
#}

{#
    Earliest plausible date of an event in the raw files (an invoice, a CRM record's creation or
    update, a product launch), var('min_plausible_date'). The default is the day after the Unix
    epoch, so the zero dates systems write for "unknown" (0001-01-01, 1900-01-01, 1970-01-01) are
    rejected, and every accepted date is far inside pandas' 1677-2262 range.
#}
{% macro min_plausible_date() %}
    {{ return(date_var('min_plausible_date', var('min_plausible_date'))) }}
{% endmacro %}

{#
    The day the raw files were delivered: var('delivery_date') when given, else the day the run
    started (UTC). Nothing in a delivery can have happened after it; a day of slack covers
    source systems whose clocks run ahead of UTC. Pin the var to rebuild an old delivery exactly.
#}
{% macro delivery_date() %}
    {% set pinned = var('delivery_date') %}
    {% if pinned is none %}
        {{ return(run_started_at.strftime('%Y-%m-%d')) }}
    {% endif %}
    {{ return(date_var('delivery_date', pinned)) }}
{% endmacro %}

{# First instant after the latest plausible date: the end of the day after the delivery date. #}
{% macro plausible_dates_end() -%}
    {{ dbt.dateadd('day', 2, "cast('" ~ delivery_date() ~ "' as date)") }}
{%- endmacro %}

{#
    True when a parsed date or timestamp lies outside [earliest, end of the day after the
    delivery date]; NULL (not rejected) when the value is NULL.
#}
{% macro is_implausible_date(expr, earliest=none) -%}
    (
        {{ expr }} < cast('{{ earliest or min_plausible_date() }}' as date)
        or {{ expr }} >= {{ plausible_dates_end() }}
    )
{%- endmacro %}

{#
    Largest quantity and line amount (quantity x unit price) a staged invoice line may carry, in
    absolute value. With them no sum of fewer than 10^8 lines overflows decimal(18, 2) (below
    10^16) and no sum of quantities overflows a bigint; see docs/raw_input.md.
#}
{% macro max_line_quantity() %}{{ return(1000000000) }}{% endmacro %}

{% macro max_line_amount() %}{{ return(100000000) }}{% endmacro %}

{# A date var as 'YYYY-MM-DD', or a compile error naming the var. #}
{% macro date_var(name, value) %}
    {% set text = value | string | trim %}
    {% set parts = modules.re.fullmatch('([0-9]{4})-([0-9]{2})-([0-9]{2})', text) %}
    {% set year, month, day = (parts.groups() | map('int') | list) if parts else (0, 0, 0) %}
    {% if year < 1 or month < 1 or month > 12 or day < 1 or day > days_in_month(year, month) %}
        {% do exceptions.raise_compiler_error(
            'var ' ~ name ~ ' must be a date written YYYY-MM-DD, got ' ~ (value | string | tojson)
        ) %}
    {% endif %}
    {{ return(text) }}
{% endmacro %}

{% macro days_in_month(year, month) %}
    {% if month == 12 %}
        {{ return(31) }}
    {% endif %}
    {% set first = modules.datetime.date(year, month, 1) %}
    {{ return((modules.datetime.date(year, month + 1, 1) - first).days) }}
{% endmacro %}
