with

raw_products as (
    select {{ select_raw_columns('products') }}
    from {{ source('crm', 'products') }}
),

non_product_codes as (
    select * from {{ ref('non_product_codes') }}
),

typed as (
    select
        *,
        {{ raw_row_hash('products') }} as row_hash,
        upper({{ clean_text('raw_stock_code') }}) as stock_code,
        {{ clean_description('raw_description') }} as description,
        {{ clean_text('raw_category') }} as category,
        {{ parse_decimal('raw_unit_price', 18, 4) }} as unit_price,
        {{ parse_date('raw_launch_date') }} as launch_date,
        lower({{ clean_text('raw_status') }}) as status
    from raw_products
),

numbered as (
    select
        typed.*,
        {{ row_occurrence('typed.row_hash') }} as row_occurrence,
        non_product_codes.kind as non_product_kind
    from typed
    left join non_product_codes
        on {{ non_product_code_match('typed.stock_code', 'non_product_codes') }}
),

checked as (
    select
        *,
        case
            when row_occurrence > 1 then 'duplicate_row'
            when stock_code is null then 'missing_stock_code'
            when {{ is_malformed('raw_unit_price', 'unit_price') }} then 'invalid_unit_price'
            when unit_price <= 0 then 'non_positive_unit_price'
            when {{ is_malformed('raw_launch_date', 'launch_date') }}
                or {{ is_implausible_date('launch_date') }} then 'invalid_launch_date'
            when status not in ('active', 'discontinued') then 'invalid_status'
        end as row_reject_reason
    from numbered
),

-- stock_code must be unique; among valid rows an active, more recently launched row wins.
ranked_codes as (
    select
        *,
        {{ key_rank(
            'stock_code',
            "case when status = 'active' then 0 else 1 end asc, launch_date desc nulls last,"
            ~ " row_hash asc",
        ) }} as stock_code_rank
    from checked
),

final as (
    select
        *,
        {{ raw_row_id() }} as raw_row_id,
        {{ reject_reason_with_key_rank('stock_code_rank', 'duplicate_stock_code') }}
            as reject_reason
    from ranked_codes
)

select * exclude (row_reject_reason, stock_code_rank) from final
