{# One row per golden client: who owns it now (territory, advisor), by which rule and why. #}
with

clients as (
    select * from {{ ref('client_dim') }}
),

assignments as (
    select * from {{ ref('assignments_fact') }}
    where is_current
),

territories as (
    select * from {{ ref('territory_dim') }}
),

advisors as (
    select * from {{ ref('advisor_dim') }}
),

final as (
    select
        clients.client_key,
        clients.client_name,
        clients.client_type,
        clients.country,
        clients.region,
        {{ masked('clients.email') }} as email,
        {{ masked('clients.phone') }} as phone,
        assignments.territory_key,
        territories.territory_name,
        assignments.advisor_key,
        advisors.advisor_name,
        assignments.tier,
        assignments.rule_id,
        assignments.reason,
        assignments.valid_from as assigned_since
    from clients
    left join assignments
        on clients.client_key = assignments.client_key
    left join territories
        on assignments.territory_key = territories.territory_key
    left join advisors
        on assignments.advisor_key = advisors.advisor_key
    where {{ row_filter('clients.region') }}
)

select * from final
