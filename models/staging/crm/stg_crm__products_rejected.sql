with

checked_products as (
    select * from {{ ref('base_crm__products') }}
),

final as (
    select
        raw_row_id,
        reject_reason,
        {{ restore_raw_columns('products') }}
    from checked_products
    where reject_reason is not null
)

select * from final
