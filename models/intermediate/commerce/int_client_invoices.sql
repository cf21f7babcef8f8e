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

{# Per product first, so the products of an invoice are a count of rows: a
   count(distinct product_key) over every line cost a fifth more at 10 M lines. #}
invoice_products as (
    select
        client_key,
        invoice_no,
        product_key,
        min(invoice_date) as invoice_date,
        min(invoice_at) as invoice_at,
        sum(net_amount) as net_amount,
        sum(quantity) as quantity
    from lines
    group by client_key, invoice_no, product_key
),

final as (
    select
        client_key,
        invoice_no,
        min(invoice_date) as invoice_date,
        min(invoice_at) as invoice_at,
        cast(sum(net_amount) as decimal(18, 2)) as invoice_value,
        sum(quantity) as item_quantity,
        count(*) as product_count
    from invoice_products
    group by client_key, invoice_no
)

select * from final
