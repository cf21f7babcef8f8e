{#
    Walks parent links upwards from every client that has a parent. The path of visited keys is
    carried along; a step that reaches a key already on the path closes a cycle, is kept (so the
    cycle can be reported) and is not walked further. The depth cap is a backstop only.
#}
with recursive

clients as (
    select * from {{ ref('client_dim') }}
),

parent_links as (
    select
        client_key as child_client_key,
        parent_client_key
    from clients
    where parent_client_key is not null
),

walk (ancestor_client_key, descendant_client_key, hierarchy_depth, visited_path, closes_cycle) as (
    select
        parent_client_key,
        child_client_key,
        1,
        '/' || child_client_key || '/' || parent_client_key || '/',
        parent_client_key = child_client_key
    from parent_links
    union all
    select
        parent_links.parent_client_key,
        walk.descendant_client_key,
        walk.hierarchy_depth + 1,
        walk.visited_path || parent_links.parent_client_key || '/',
        contains(walk.visited_path, '/' || parent_links.parent_client_key || '/')
    from walk
    inner join parent_links
        on walk.ancestor_client_key = parent_links.child_client_key
    where not walk.closes_cycle and walk.hierarchy_depth < 100
),

final as (
    select * from walk
)

select * from final
