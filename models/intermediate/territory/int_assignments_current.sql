{#
    The current territory assignment of every golden client as of the as-of date: the input
    of assignment_history, which records its changes, and of assignments_fact.
#}
with

decisions as (
    select * from {{ ref('int_territory_decisions') }}
),

advisor_assignments as (
    select * from {{ ref('int_advisor_assignments') }}
),

tiers as (
    select * from {{ ref('int_client_tiers') }}
),

final as (
    select
        decisions.client_key,
        decisions.territory_id,
        advisor_assignments.advisor_id,
        tiers.tier,
        decisions.rule_id,
        decisions.reason || coalesce(
            '; advisor ' || advisor_assignments.advisor_id
            || ' ' || advisor_assignments.advisor_choice,
            '; no advisor available'
        ) as reason,
        {{ as_of_date() }} as assigned_as_of
    from decisions
    inner join advisor_assignments
        on decisions.client_key = advisor_assignments.client_key
    inner join tiers
        on decisions.client_key = tiers.client_key
)

select * from final
