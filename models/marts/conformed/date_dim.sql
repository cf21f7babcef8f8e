{#
    One row per calendar day: the date dimension, and the semantic layer's time spine
    (docs/metrics.md). It covers whole calendar years, from the year of the first invoice line
    to the year of the day after the last one (the default as-of date), or of
    var('as_of_date') when that is later. The range comes from the data and the vars, never
    from the clock, so two builds on the same input give the same table. Days are numbered
    from a cross join of digits, not a recursive CTE: Snowflake stops recursion at 100 levels
    by default (MAX_RECURSIONS), and five digits reach 273 years.
#}
{%- set last_known = 'day_after_last_invoice' %}
{%- if var('as_of_date') %}
    {%- set last_known = "greatest(day_after_last_invoice, cast('" ~ var('as_of_date') ~ "' as date))" %}
{%- endif %}
with

lines as (
    select * from {{ ref('transactions_fact') }}
),

line_span as (
    select
        min(invoice_date) as first_invoice_date,
        cast({{ dbt.dateadd('day', 1, 'max(invoice_date)') }} as date) as day_after_last_invoice
    from lines
),

years as (
    select
        cast({{ dbt.date_trunc('year', 'first_invoice_date') }} as date) as first_day,
        cast({{ dbt.date_trunc('year', last_known) }} as date) as last_year_start
    from line_span
),

bounds as (
    select
        first_day,
        {{ dbt.datediff(
            'first_day', dbt.dateadd('year', 1, 'last_year_start'), 'day'
        ) }} as day_count
    from years
),

digits as (
    select 0 as digit
    {%- for digit in range(1, 10) %}
    union all
    select {{ digit }} as digit
    {%- endfor %}
),

day_numbers as (
    select
        ones.digit
        + 10 * tens.digit
        + 100 * hundreds.digit
        + 1000 * thousands.digit
        + 10000 * ten_thousands.digit as day_number
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    cross join digits as ten_thousands
),

days as (
    select
        cast({{ dbt.dateadd('day', 'day_numbers.day_number', 'bounds.first_day') }} as date)
            as date_day
    from bounds
    inner join day_numbers
        on bounds.day_count > day_numbers.day_number
),

final as (
    select
        date_day,
        cast({{ iso_weekday('date_day') }} as integer) as iso_weekday,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start,
        cast(extract(year from date_day) as integer) as year_number
    from days
)

select * from final
