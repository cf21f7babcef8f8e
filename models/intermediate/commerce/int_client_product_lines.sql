{#
    The lines every client-level commerce mart starts from: product lines (postage, fees and
    other non-product codes excluded) of known golden clients, dated before the as-of date, so
    no feature ever sees a later row. Cancellation lines are kept and flagged. A view: each
    consumer filters it once while scanning transactions_fact.
#}
{{ config(materialized='view') }}

with

lines as (
    select * from {{ ref('transactions_fact') }}
),

products as (
    select * from {{ ref('product_dim') }}
),

final as (
    select
        lines.transaction_line_key,
        lines.client_key,
        lines.invoice_no,
        lines.product_key,
        products.category,
        lines.invoice_at,
        lines.invoice_date,
        lines.quantity,
        lines.net_amount,
        lines.is_cancellation,
        lines.country
    from lines
    inner join products
        on lines.product_key = products.product_key
    where
        lines.client_key is not null
        and not lines.is_non_product
        and lines.invoice_date < {{ as_of_date() }}
)

select * from final
