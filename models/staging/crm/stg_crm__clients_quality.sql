with

clients as (
    select * from {{ ref('stg_crm__clients') }}
),

flag_reasons as (
    select * from {{ ref('quality_flag_reasons') }}
    where entity = 'clients'
),

-- Every documented (attribute, reason), so a reason no row has today shows 0, not nothing.
counted as (
    select
        flag_reasons.attribute,
        flag_reasons.reason,
        flag_reasons.description,
        count(clients.quality_flags) as flagged_rows
    from flag_reasons
    left join clients
        on {{ has_quality_flag(
            'clients.quality_flags',
            "flag_reasons.attribute || ':' || flag_reasons.reason"
        ) }}
    group by
        flag_reasons.attribute,
        flag_reasons.reason,
        flag_reasons.description
),

staged as (
    select count(*) as staged_rows from clients
),

final as (
    select
        counted.attribute,
        counted.reason,
        counted.flagged_rows,
        staged.staged_rows,
        counted.description
    from counted
    cross join staged
)

select * from final
