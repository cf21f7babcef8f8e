{#
    Territory assignment conflicts, surfaced rather than silently resolved. One row per
    client (or advisor, for capacity) and conflict; the assignment still follows the documented
    precedence, this table says where a person should look.
#}
with

candidates as (
    select * from {{ ref('int_territory_candidates') }}
),

matches as (
    select * from {{ ref('int_territory_rule_matches') }}
),

decisions as (
    select * from {{ ref('int_territory_decisions') }}
),

current_assignments as (
    select * from {{ ref('int_assignments_current') }}
),

advisors as (
    select * from {{ ref('advisors') }}
),

tied_disagreements as (
    select
        client_key,
        cast(null as {{ dbt.type_string() }}) as advisor_key,
        'equal_priority_disagreement' as conflict_type,
        'rules ' || {{ sorted_string_agg('rule_id', ', ') }}
        || ' share priority ' || cast(min(priority) as {{ dbt.type_string() }})
        || ' but assign different territories or advisors' as detail
    from candidates
    where priority = winning_priority
    group by client_key
    having count(distinct territory_id || '/' || coalesce(advisor_id, '')) > 1
),

blacklist_vs_whitelist as (
    select
        whitelists.client_key,
        blacklists.advisor_id as advisor_key,
        'blacklist_contradicts_whitelist' as conflict_type,
        'blacklist ' || blacklists.rule_id || ' forbids '
        || coalesce('advisor ' || blacklists.advisor_id, 'territory ' || blacklists.territory_id)
        || ' that whitelist ' || whitelists.rule_id || ' assigns; the blacklist wins' as detail
    from matches as whitelists
    inner join matches as blacklists
        on
            whitelists.client_key = blacklists.client_key
            and (
                whitelists.territory_id = blacklists.territory_id
                or whitelists.advisor_id = blacklists.advisor_id
            )
    where whitelists.rule_type = 'whitelist' and blacklists.rule_type = 'blacklist'
),

uncovered as (
    select
        client_key,
        cast(null as {{ dbt.type_string() }}) as advisor_key,
        'no_rule_covers_client' as conflict_type,
        'no territory rule in force matches this client; parked in T-UNASSIGNED' as detail
    from decisions
    where rule_id is null
),

without_advisor as (
    select
        client_key,
        cast(null as {{ dbt.type_string() }}) as advisor_key,
        'no_advisor_available' as conflict_type,
        'territory ' || territory_id || ' has no active advisor the client may have' as detail
    from current_assignments
    where advisor_id is null and territory_id <> 'T-UNASSIGNED'
),

advisor_loads as (
    select
        current_assignments.advisor_id,
        count(*) as clients,
        max(advisors.capacity) as capacity
    from current_assignments
    inner join advisors
        on current_assignments.advisor_id = advisors.advisor_id
    group by current_assignments.advisor_id
),

over_capacity as (
    select
        cast(null as {{ dbt.type_string() }}) as client_key,
        advisor_id as advisor_key,
        'advisor_over_capacity' as conflict_type,
        'advisor ' || advisor_id || ' has ' || cast(clients as {{ dbt.type_string() }})
        || ' clients for a capacity of ' || cast(capacity as {{ dbt.type_string() }}) as detail
    from advisor_loads
    where clients > capacity
),

all_conflicts as (
    select * from tied_disagreements
    union all
    select * from blacklist_vs_whitelist
    union all
    select * from uncovered
    union all
    select * from without_advisor
    union all
    select * from over_capacity
),

final as (
    select
        cast(client_key as {{ dbt.type_string() }}) as client_key,
        cast(advisor_key as {{ dbt.type_string() }}) as advisor_key,
        cast(conflict_type as {{ dbt.type_string() }}) as conflict_type,
        cast(detail as {{ dbt.type_string() }}) as detail
    from all_conflicts
)

select * from final
