with

checked_products as (
    select * from {{ ref('base_crm__products') }}
),

final as (
    select
        stock_code,
        description,
        category,
        unit_price,
        launch_date,
        status,
        non_product_kind is not null as is_non_product,
        non_product_kind,
        row_hash
    from checked_products
    where reject_reason is null
)

select * from final
