{#
    Baskets for cross-sell: the distinct products of every purchase invoice before the as-of
    date (and within var('cross_sell_lookback_days') of it, when set). Postage, fees and
    cancellations are not products bought together. Invoices whose client is unknown still
    count: which products sell together does not depend on who bought them.
#}
with

lines as (
    select * from {{ ref('transactions_fact') }}
),

as_of as (
    select
        {{ as_of_date() }} as as_of_date,
        cast({{ var('cross_sell_lookback_days') or 'null' }} as integer) as lookback_days
),

final as (
    select distinct
        lines.invoice_no,
        lines.product_key
    from lines
    cross join as_of
    where
        not lines.is_cancellation
        and not lines.is_non_product
        and lines.invoice_date < as_of.as_of_date
        and (
            as_of.lookback_days is null
            or lines.invoice_date
            >= {{ dbt.dateadd('day', '-as_of.lookback_days', 'as_of.as_of_date') }}
        )
)

select * from final
