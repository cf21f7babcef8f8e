{#
    Rules that could decide each golden client's territory: the matching whitelist, geography
    and tier rules, minus any whose territory a matching blacklist forbids for the client,
    ranked by priority (lower first) and then rule_id. Rank 1 decides.
#}
with

matches as (
    select * from {{ ref('int_territory_rule_matches') }}
),

blacklists as (
    select * from matches
    where rule_type = 'blacklist'
),

candidates as (
    select matches.*
    from matches
    left join blacklists
        on
            matches.client_key = blacklists.client_key
            and matches.territory_id = blacklists.territory_id
    where matches.rule_type <> 'blacklist' and blacklists.rule_id is null
),

final as (
    select
        client_key,
        rule_id,
        rule_type,
        priority,
        territory_id,
        advisor_id,
        matched_on,
        row_number() over (
            partition by client_key order by priority asc, rule_id asc
        ) as candidate_rank,
        min(priority) over (partition by client_key) as winning_priority
    from candidates
)

select * from final
