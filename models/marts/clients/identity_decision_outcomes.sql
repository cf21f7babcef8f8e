with

clusters as (
    select * from {{ ref('int_clients_clustered') }}
),

decisions as (
    select * from {{ ref('identity_decisions') }}
),

-- A decision entered twice is applied once; its latest note explains it.
latest_decisions as (
    select * from decisions
    qualify
        row_number() over (
            partition by left_client_id, right_client_id, decision
            order by decided_on desc, reason asc, decided_by asc
        ) = 1
),

outcomes as (
    select * from clusters
    where row_type = 'decision'
),

final as (
    select
        cast(outcomes.left_client_id as {{ dbt.type_string() }}) as left_client_id,
        cast(outcomes.right_client_id as {{ dbt.type_string() }}) as right_client_id,
        cast(outcomes.decision as {{ dbt.type_string() }}) as decision,
        cast(outcomes.status as {{ dbt.type_string() }}) as status,
        cast(decisions.reason as {{ dbt.type_string() }}) as reason,
        cast(decisions.decided_by as {{ dbt.type_string() }}) as decided_by,
        cast(decisions.decided_on as date) as decided_on
    from outcomes
    left join latest_decisions as decisions
        on
            outcomes.left_client_id = decisions.left_client_id
            and outcomes.right_client_id = decisions.right_client_id
            and outcomes.decision = decisions.decision
)

select * from final
