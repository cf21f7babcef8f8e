{#
    One row per version of a client's assignment (SCD2): who owned it from when to when, and why.
    Clients of client_dim only: a retired client key has no region to filter on, so its history
    stays in core.assignments_fact, which only roles that see every row may read.
#}
with

assignments as (
    select * from {{ ref('assignments_fact') }}
),

clients as (
    select * from {{ ref('client_dim') }}
),

final as (
    select
        assignments.client_key,
        clients.client_name,
        clients.region,
        assignments.territory_key,
        assignments.advisor_key,
        assignments.tier,
        assignments.rule_id,
        assignments.reason,
        assignments.valid_from,
        assignments.valid_to,
        assignments.end_reason,
        assignments.is_current
    from assignments
    inner join clients
        on assignments.client_key = clients.client_key
    where {{ row_filter('clients.region') }}
)

select * from final
