with

walk as (
    select * from {{ ref('int_client_hierarchy_walk') }}
),

final as (
    select
        descendant_client_key as client_key,
        ancestor_client_key as repeated_client_key,
        hierarchy_depth as cycle_length,
        visited_path as cycle_path
    from walk
    where closes_cycle
)

select * from final
