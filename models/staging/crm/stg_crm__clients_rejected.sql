with

checked_clients as (
    select * from {{ ref('base_crm__clients') }}
),

final as (
    select
        raw_row_id,
        reject_reason,
        {{ restore_raw_columns('clients') }}
    from checked_clients
    where reject_reason is not null
)

select * from final
