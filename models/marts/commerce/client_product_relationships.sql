{#
    Client × product as of the as-of date: when the client first and last bought the product,
    on how many invoices, how many units and for how much (cancellations subtract). A product
    the client only ever cancelled has no purchase dates and zero purchase invoices.
    Built after int_client_invoices, whose rows it does not read: both group every product line
    (there by client and invoice, here by client and product), and at 50 M lines the two side by
    side did not fit in DuckDB's memory_limit (the one that started second ran out;
    docs/benchmarks.md).
    The category is joined from product_dim at the end instead of carried through the group-bys
    (a line's category is its product's).
#}
-- depends_on: {{ ref('int_client_invoices') }}
{%- set group_columns = [
    'product_lines.client_key', 'product_lines.product_key', 'product_lines.invoice_no',
] %}
with

clients as (
    select * from {{ ref('client_dim') }}
),

products as (
    select * from {{ ref('product_dim') }}
),

client_numbers as (
    {{ client_numbers('clients') }}
),

{# Three readers of the lines, each numbered by client (grouped by client number, not client_key:
    macro client_numbers says why) and checksummed by (client, product, invoice). Shared, DuckDB
    would hold every line in memory for all three. #}
{% for reader in ['checksummed_lines', 'single_lines', 'repeated_lines'] %}
{{ reader }} as (
    select
        client_numbers.client_number,
        {{ row_checksum(group_columns) }} as line_group,
        product_lines.*
    from {{ ref('int_client_product_lines') }} as product_lines
    inner join client_numbers
        on product_lines.client_key = client_numbers.client_key
),

{% endfor %}
{# Purchase invoices are a count of (client, product, invoice) rows: an invoice with a purchase
    line has a purchase date, staged lines being always dated. A line alone on its (client,
    product, invoice) is such a row already; only lines whose checksum repeats are grouped, exactly
    by the three columns, so a checksum shared by two different triples costs a group, never a
    wrong count. Grouping every line first (47 M groups at 50 M lines) spilled 10 GB; a
    count(distinct invoice_no) over every line cost half as much again at 10 M lines. #}
repeated_groups as (
    select line_group
    from checksummed_lines
    group by line_group
    having count(*) > 1
),

invoice_products as (
    select
        client_number,
        product_key,
        invoice_no,
        case when not is_cancellation then invoice_date end as first_purchase_date,
        case when not is_cancellation then invoice_date end as last_purchase_date,
        quantity as net_quantity,
        net_amount as net_value,
        case when is_cancellation then net_amount else 0 end as cancellation_value
    from single_lines
    where line_group not in (select repeated_groups.line_group from repeated_groups)
    union all
    select
        client_number,
        product_key,
        invoice_no,
        min(case when not is_cancellation then invoice_date end) as first_purchase_date,
        max(case when not is_cancellation then invoice_date end) as last_purchase_date,
        sum(quantity) as net_quantity,
        sum(net_amount) as net_value,
        sum(case when is_cancellation then net_amount else 0 end) as cancellation_value
    from repeated_lines
    where line_group in (select repeated_groups.line_group from repeated_groups)
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
