{#
    Closure table of the client hierarchy: every (ancestor, descendant) pair with its depth,
    plus each client paired with itself at depth 0 so roll-ups can include the client's own
    figures. The walk stops at a cycle instead of looping; the cycles are reported in
    client_hierarchy_cycles.
#}
with

walk as (
    select * from {{ ref('int_client_hierarchy_walk') }}
),

clients as (
    select * from {{ ref('client_dim') }}
),

final as (
    select
        client_key as ancestor_client_key,
        client_key as descendant_client_key,
        0 as hierarchy_depth
    from clients
    union all
    select
        ancestor_client_key,
        descendant_client_key,
        hierarchy_depth
    from walk
    where not closes_cycle
)

select * from final
