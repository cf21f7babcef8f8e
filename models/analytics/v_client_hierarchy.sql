{#
    One row per (ancestor, descendant) pair of the client hierarchy, each client with itself at
    depth 0: roll a group up by joining facts on descendant_client_key. A row is visible with
    the descendant's region.
#}
with

hierarchy as (
    select * from {{ ref('client_hierarchy') }}
),

clients as (
    select * from {{ ref('client_dim') }}
),

final as (
    select
        hierarchy.ancestor_client_key,
        ancestors.client_name as ancestor_client_name,
        hierarchy.descendant_client_key,
        descendants.client_name as descendant_client_name,
        descendants.region,
        hierarchy.hierarchy_depth
    from hierarchy
    inner join clients as ancestors
        on hierarchy.ancestor_client_key = ancestors.client_key
    inner join clients as descendants
        on hierarchy.descendant_client_key = descendants.client_key
    where {{ row_filter('descendants.region') }}
)

select * from final
