with

checked_transactions as (
    select * from {{ ref('base_crm__transactions') }}
),

final as (
    select
        {{ raw_row_id() }} as raw_row_id,
        reject_reason,
        {{ restore_raw_columns('transactions') }}
    from checked_transactions
    where reject_reason is not null
)

select * from final
