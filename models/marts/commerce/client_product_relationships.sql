{#
    Client × product as of the as-of date: when the client first and last bought the product,
    on how many invoices, how many units and for how much (cancellations subtract). A product
    the client only ever cancelled has no purchase dates and zero purchase invoices.
#}
with

lines as (
    select * from {{ ref('int_client_product_lines') }}
),

final as (
    select
        client_key,
        product_key,
        min(category) as category,
        min(case when not is_cancellation then invoice_date end) as first_purchase_date,
        max(case when not is_cancellation then invoice_date end) as last_purchase_date,
        cast(
            count(distinct case when not is_cancellation then invoice_no end) as integer
        ) as purchase_invoices,
        cast(sum(quantity) as bigint) as net_quantity,
        cast(sum(net_amount) as decimal(18, 2)) as net_value,
        cast(
            -sum(case when is_cancellation then net_amount else 0 end) as decimal(18, 2)
        ) as cancelled_value
    from lines
    group by client_key, product_key
)

select * from final
