{#
    A view: base_crm__transactions already stores every line, typed, and loads new ones
    incrementally; a second 10 M-line copy would be rebuilt in full on every run.
#}
{{ config(materialized='view') }}

with

checked_transactions as (
    select * from {{ ref('base_crm__transactions') }}
),

final as (
    select
        row_hash as transaction_line_id,
        invoice_no,
        stock_code,
        description,
        quantity,
        unit_price,
        cast(quantity * unit_price as decimal(18, 2)) as line_amount,
        invoice_at,
        cast(invoice_at as date) as invoice_date,
        client_id,
        country,
        is_cancellation,
        non_product_kind is not null as is_non_product,
        non_product_kind
    from checked_transactions
    where reject_reason is null
)

select * from final
