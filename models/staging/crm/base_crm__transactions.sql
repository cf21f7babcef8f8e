with

raw_transactions as (
    select {{ select_raw_columns('transactions') }}
    from {{ source('crm', 'transactions') }}
),

non_product_codes as (
    select * from {{ ref('non_product_codes') }}
),

typed as (
    select
        *,
        {{ raw_row_hash('transactions') }} as row_hash,
        upper({{ clean_text('raw_invoice_no') }}) as invoice_no,
        upper({{ clean_text('raw_stock_code') }}) as stock_code,
        {{ clean_description('raw_description') }} as description,
        {{ parse_integer('raw_quantity') }} as quantity,
        {{ parse_decimal('raw_unit_price', 18, 4) }} as unit_price,
        {{ parse_timestamp('raw_invoice_date') }} as invoice_at,
        {{ clean_text('raw_client_id') }} as client_id,
        {{ clean_text('raw_country') }} as country
    from raw_transactions
),

numbered as (
    select
        typed.*,
        row_number() over (partition by typed.row_hash order by typed.row_hash) as row_occurrence,
        left(typed.invoice_no, 1) = 'C' as is_cancellation,
        non_product_codes.kind as non_product_kind
    from typed
    left join non_product_codes
        on {{ non_product_code_match('typed.stock_code', 'non_product_codes') }}
),

final as (
    select
        *,
        row_hash || '-' || cast(row_occurrence as {{ dbt.type_string() }}) as raw_row_id,
        case
            when row_occurrence > 1 then 'duplicate_row'
            when invoice_no is null then 'missing_invoice_no'
            when stock_code is null then 'missing_stock_code'
            when client_id is null then 'missing_client_id'
            when invoice_at is null then 'invalid_invoice_date'
            when quantity is null then 'invalid_quantity'
            when unit_price is null then 'invalid_unit_price'
            when quantity = 0 then 'zero_quantity'
            when unit_price <= 0 then 'non_positive_unit_price'
            when is_cancellation and quantity > 0 then 'cancellation_with_positive_quantity'
            when not is_cancellation and quantity < 0
                then 'negative_quantity_without_cancellation'
        end as reject_reason
    from numbered
)

select * from final
