{#
    Every (golden client, territory rule) pair where a rule in force on the as-of date applies
    to the client, with a readable description of why it applies. Whitelist and blacklist rules
    name a source client_id and apply to the golden client that record belongs to; geography
    rules match every given field of country (name, any case), region and state; tier rules
    match the client's segment tier.
#}
with

clients as (
    select * from {{ ref('client_dim') }}
),

tiers as (
    select * from {{ ref('int_client_tiers') }}
),

xref as (
    select * from {{ ref('client_xref') }}
),

rules_in_force as (
    select * from {{ ref('territory_rules') }}
    where
        effective_from <= {{ as_of_date() }}
        and (effective_to is null or effective_to > {{ as_of_date() }})
),

client_facts as (
    select
        clients.client_key,
        clients.country,
        clients.region,
        clients.state,
        tiers.tier
    from clients
    inner join tiers
        on clients.client_key = tiers.client_key
),

named_client_matches as (
    select
        xref.client_key,
        rules_in_force.*,
        'client record ' || rules_in_force.client_id as matched_on
    from rules_in_force
    inner join xref
        on rules_in_force.client_id = xref.source_client_id
    where rules_in_force.rule_type in ('whitelist', 'blacklist')
),

geography_matches as (
    select
        client_facts.client_key,
        rules_in_force.*,
        trim(
            coalesce('country ' || rules_in_force.country || ' ', '')
            || coalesce('region ' || rules_in_force.region || ' ', '')
            || coalesce('state ' || rules_in_force.state, '')
        ) as matched_on
    from rules_in_force
    inner join client_facts
        on
            (
                rules_in_force.country is null
                or lower(rules_in_force.country) = lower(client_facts.country)
            )
            and (
                rules_in_force.region is null
                or rules_in_force.region = client_facts.region
            )
            and (
                rules_in_force.state is null
                or upper(rules_in_force.state) = upper(client_facts.state)
            )
    where
        rules_in_force.rule_type = 'geography'
        and coalesce(
            rules_in_force.country, rules_in_force.region, rules_in_force.state
        ) is not null
),

tier_matches as (
    select
        client_facts.client_key,
        rules_in_force.*,
        'tier ' || rules_in_force.tier as matched_on
    from rules_in_force
    inner join client_facts
        on rules_in_force.tier = client_facts.tier
    where rules_in_force.rule_type = 'tier'
),

all_matches as (
    select * from named_client_matches
    union all
    select * from geography_matches
    union all
    select * from tier_matches
),

final as (
    select
        client_key,
        rule_id,
        rule_type,
        priority,
        territory_id,
        advisor_id,
        matched_on
    from all_matches
)

select * from final
