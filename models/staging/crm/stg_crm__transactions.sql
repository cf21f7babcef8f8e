{#
    A view: base_crm__transactions already stores every line, typed, and loads new ones
    incrementally; a second 10 M-line copy would be rebuilt in full on every run. The
    non-product flag is joined here rather than stored there, so a change to the
    non_product_codes seed reaches lines loaded before it.
#}
{{ config(materialized='view') }}

with

checked_transactions as (
    select * from {{ ref('base_crm__transactions') }}
),

non_product_codes as (
    select * from {{ ref('non_product_codes') }}
),

staged_stock_codes as (
    select distinct stock_code from {{ ref('base_crm__transactions') }}
    where reject_reason is null
),

staged as (
    select * from checked_transactions
    where reject_reason is null
),

{# The seed also matches prefixes, a condition no hash join serves: it is evaluated once per
   distinct stock code (a few thousand) instead of once per line. #}
stock_code_kinds as (
    select
        staged_stock_codes.stock_code,
        non_product_codes.kind
    from staged_stock_codes
    inner join non_product_codes
        on {{ non_product_code_match('staged_stock_codes.stock_code', 'non_product_codes') }}
),

final as (
    select
        staged.row_hash as transaction_line_id,
        staged.invoice_no,
        staged.stock_code,
        staged.description,
        staged.quantity,
        staged.unit_price,
        cast(staged.quantity * staged.unit_price as decimal(18, 2)) as line_amount,
        staged.invoice_at,
        cast(staged.invoice_at as date) as invoice_date,
        staged.client_id,
        staged.country,
        staged.is_cancellation,
        stock_code_kinds.kind is not null as is_non_product,
        stock_code_kinds.kind as non_product_kind
    from staged
    left join stock_code_kinds
        on staged.stock_code = stock_code_kinds.stock_code
)

select * from final
