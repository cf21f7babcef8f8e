{#
    The as-of date of this build, one row: var('as_of_date') when given, else the day after the
    last staged transaction. Never the wall clock, so two builds on the same input give the same
    tables. Every model reads it through the as_of_date() macro, so the staged lines are scanned
    for it once per build.
#}
{%- set derived = 'cast(' ~ dbt.dateadd('day', 1, 'last_invoice_date') ~ ' as date)' %}
{%- set given = "cast('" ~ var('as_of_date') ~ "' as date)" %}
{%- set as_of = given if var('as_of_date') else derived %}

with

staged_lines as (
    select * from {{ ref('stg_crm__transactions') }}
),

last_staged_line as (
    select max(invoice_date) as last_invoice_date
    from staged_lines
),

final as (
    select {{ as_of }} as as_of_date
    from last_staged_line
)

select * from final
