{#
    Client × product as of the as-of date: when the client first and last bought the product,
    on how many invoices, how many units and for how much (cancellations subtract). A product
    the client only ever cancelled has no purchase dates and zero purchase invoices.
    Built after int_client_invoices, whose rows it does not read: both hold every product line's
    client, invoice and product in a hash table (there, to count an invoice's products distinct),
    and at 50 M lines the two side by side did not fit in DuckDB's memory_limit (the one that
    started second ran out; docs/benchmarks.md).
    The category is joined from product_dim at the end instead of carried through both group-bys
    (a line's category is its product's): at 50 M lines the statement alone took 41.5 → 35.6 s,
    spilling 8.4 GB instead of 10.6 GB.
#}
-- depends_on: {{ ref('int_client_invoices') }}
with

lines as (
    select * from {{ ref('int_client_product_lines') }}
),

clients as (
    select * from {{ ref('client_dim') }}
),

products as (
    select * from {{ ref('product_dim') }}
),

client_numbers as (
    {{ client_numbers('clients') }}
),

{# Grouped by client number, not client_key (macro client_numbers says why). #}
numbered_lines as (
    select
        client_numbers.client_number,
        lines.*
    from lines
    inner join client_numbers
        on lines.client_key = client_numbers.client_key
),

{# Invoices per client and product first, so that purchase invoices are a count of rows (an
    invoice with a purchase line has a purchase date: staged lines are always dated); a
    count(distinct invoice_no) over every line cost half as much again at 10 M lines. #}
invoice_products as (
    select
        client_number,
        product_key,
        invoice_no,
        min(case when not is_cancellation then invoice_date end) as first_purchase_date,
        max(case when not is_cancellation then invoice_date end) as last_purchase_date,
        sum(quantity) as net_quantity,
        sum(net_amount) as net_value,
        sum(case when is_cancellation then net_amount else 0 end) as cancellation_value
    from numbered_lines
    group by client_number, product_key, invoice_no
),

client_products as (
    select
        client_number,
        product_key,
        min(first_purchase_date) as first_purchase_date,
        max(last_purchase_date) as last_purchase_date,
        cast(count(first_purchase_date) as integer) as purchase_invoices,
        cast(sum(net_quantity) as bigint) as net_quantity,
        cast(sum(net_value) as decimal(18, 2)) as net_value,
        cast(-sum(cancellation_value) as decimal(18, 2)) as cancelled_value
    from invoice_products
    group by client_number, product_key
),

final as (
    select
        client_numbers.client_key,
        client_products.product_key,
        products.category,
        client_products.first_purchase_date,
        client_products.last_purchase_date,
        client_products.purchase_invoices,
        client_products.net_quantity,
        client_products.net_value,
        client_products.cancelled_value
    from client_products
    inner join client_numbers
        on client_products.client_number = client_numbers.client_number
    inner join products
        on client_products.product_key = products.product_key
)

select * from final
