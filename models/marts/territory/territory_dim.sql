with

territories as (
    select * from {{ ref('territories') }}
),

advisors as (
    select * from {{ ref('advisors') }}
    where is_active
),

staffing as (
    select
        territory_id,
        count(*) as active_advisors,
        sum(capacity) as total_capacity
    from advisors
    group by territory_id
),

final as (
    select
        territories.territory_id as territory_key,
        territories.territory_name,
        territories.region,
        territories.description,
        coalesce(staffing.active_advisors, 0) as active_advisors,
        cast(coalesce(staffing.total_capacity, 0) as bigint) as total_capacity
    from territories
    left join staffing
        on territories.territory_id = staffing.territory_id
)

select * from final
