{#
    Client × product as of the as-of date: when the client first and last bought the product,
    on how many invoices, how many units and for how much (cancellations subtract). A product
    the client only ever cancelled has no purchase dates and zero purchase invoices.
    Built after int_client_invoices, whose rows it does not read: both group every product line
    by client, invoice and product, and at 50 M lines the two hash tables side by side did not
    fit in DuckDB's memory_limit (the one that started second ran out; docs/benchmarks.md).
#}
-- depends_on: {{ ref('int_client_invoices') }}
with

lines as (
    select * from {{ ref('int_client_product_lines') }}
),

{# Invoices per client and product first, so that purchase invoices are a count of rows (an
    invoice with a purchase line has a purchase date: staged lines are always dated); a
    count(distinct invoice_no) over every line cost half as much again at 10 M lines. #}
invoice_products as (
    select
        client_key,
        product_key,
        invoice_no,
        min(category) as category,
        min(case when not is_cancellation then invoice_date end) as first_purchase_date,
        max(case when not is_cancellation then invoice_date end) as last_purchase_date,
        sum(quantity) as net_quantity,
        sum(net_amount) as net_value,
        sum(case when is_cancellation then net_amount else 0 end) as cancellation_value
    from lines
    group by client_key, product_key, invoice_no
),

final as (
    select
        client_key,
        product_key,
        min(category) as category,
        min(first_purchase_date) as first_purchase_date,
        max(last_purchase_date) as last_purchase_date,
        cast(count(first_purchase_date) as integer) as purchase_invoices,
        cast(sum(net_quantity) as bigint) as net_quantity,
        cast(sum(net_value) as decimal(18, 2)) as net_value,
        cast(-sum(cancellation_value) as decimal(18, 2)) as cancelled_value
    from invoice_products
    group by client_key, product_key
)

select * from final
