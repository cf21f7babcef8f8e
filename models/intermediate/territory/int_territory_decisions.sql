{#
    The deciding rule per golden client: its first candidate (int_territory_candidates), i.e.
    the lowest priority, then the smallest rule_id (a tie that disagrees is reported in
    assignment_conflicts). A named advisor the client is blacklisted from is
    dropped, so balancing picks another. Clients with no candidate go to T-UNASSIGNED.
#}
with

clients as (
    select * from {{ ref('client_dim') }}
),

candidates as (
    select * from {{ ref('int_territory_candidates') }}
),

matches as (
    select * from {{ ref('int_territory_rule_matches') }}
),

winners as (
    select * from candidates
    where candidate_rank = 1
),

blacklisted_advisors as (
    {{ blacklisted_advisors('matches') }}
),

final as (
    select
        clients.client_key,
        coalesce(winners.territory_id, 'T-UNASSIGNED') as territory_id,
        case
            when blacklisted_advisors.advisor_id is null then winners.advisor_id
        end as named_advisor_id,
        winners.rule_id,
        winners.rule_type,
        case
            when winners.rule_id is null then 'No territory rule covers this client'
            else
                winners.rule_type || ' rule ' || winners.rule_id
                || ' (priority ' || cast(winners.priority as {{ dbt.type_string() }}) || ') on '
                || winners.matched_on || ' -> ' || winners.territory_id
                || coalesce(' / advisor ' || winners.advisor_id, '')
        end as reason
    from clients
    left join winners
        on clients.client_key = winners.client_key
    left join blacklisted_advisors
        on
            winners.client_key = blacklisted_advisors.client_key
            and winners.advisor_id = blacklisted_advisors.advisor_id
)

select * from final
