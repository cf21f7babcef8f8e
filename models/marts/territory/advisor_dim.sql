with

advisors as (
    select * from {{ ref('advisors') }}
),

final as (
    select
        advisor_id as advisor_key,
        advisor_name,
        email,
        territory_id as territory_key,
        capacity,
        hired_on,
        is_active
    from advisors
)

select * from final
