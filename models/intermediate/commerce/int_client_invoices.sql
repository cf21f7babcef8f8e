{#
    One row per purchase invoice of a golden client before the as-of date: the basket. Only
    product lines count; cancellation invoices (C prefix) are not purchases and are left to
    the cancellation features.
#}
with

lines as (
    select * from {{ ref('int_client_product_lines') }}
    where not is_cancellation
),

final as (
    select
        client_key,
        invoice_no,
        min(invoice_date) as invoice_date,
        min(invoice_at) as invoice_at,
        cast(sum(net_amount) as decimal(18, 2)) as invoice_value,
        sum(quantity) as item_quantity,
        count(distinct product_key) as product_count
    from lines
    group by client_key, invoice_no
)

select * from final
