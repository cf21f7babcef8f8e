{#
    How often and how much each golden client cancels, as of the as-of date: cancellation
    invoices (C prefix) against all its invoices, and the cancelled value against the gross
    value it bought.
#}
with

clients as (
    select * from {{ ref('client_dim') }}
),

lines as (
    select * from {{ ref('int_client_product_lines') }}
),

invoice_counts as (
    select
        client_key,
        count(distinct case when not is_cancellation then invoice_no end) as purchase_invoices,
        count(distinct case when is_cancellation then invoice_no end) as cancelled_invoices,
        sum(case when not is_cancellation then net_amount else 0 end) as gross_value,
        -sum(case when is_cancellation then net_amount else 0 end) as cancelled_value,
        max(case when is_cancellation then invoice_date end) as last_cancellation_date
    from lines
    group by client_key
),

final as (
    select
        clients.client_key,
        cast(coalesce(invoice_counts.cancelled_invoices, 0) as integer) as cancelled_invoices,
        cast(
            invoice_counts.cancelled_invoices
            / nullif(invoice_counts.purchase_invoices + invoice_counts.cancelled_invoices, 0)
            as decimal(9, 4)
        ) as cancellation_rate,
        cast(coalesce(invoice_counts.cancelled_value, 0) as decimal(18, 2)) as cancelled_value,
        round(
            invoice_counts.cancelled_value / nullif(invoice_counts.gross_value, 0), 4
        ) as cancelled_value_share,
        invoice_counts.last_cancellation_date
    from clients
    left join invoice_counts
        on clients.client_key = invoice_counts.client_key
)

select * from final
