{#
    Advisor per golden client. A rule that names an active advisor (not blacklisted for the
    client) decides. Otherwise the client is balanced within its territory: each active
    advisor owns a slice of [0, 1) proportional to its capacity (in advisor_id order), and the
    client goes to the advisor whose slice holds the client's stable hash; if that advisor is
    blacklisted for the client, the next slice round the circle. Deterministic, spreads clients
    by capacity, and adding a client never moves another one.
#}
with

decisions as (
    select * from {{ ref('int_territory_decisions') }}
),

advisors as (
    select * from {{ ref('advisors') }}
    where is_active
),

matches as (
    select * from {{ ref('int_territory_rule_matches') }}
),

blacklisted_advisors as (
    {{ blacklisted_advisors('matches') }}
),

advisor_slices as (
    select
        advisor_id,
        territory_id,
        (sum(capacity) over (partition by territory_id order by advisor_id asc) - capacity)
        / sum(capacity) over (partition by territory_id) as slice_start,
        sum(capacity) over (partition by territory_id order by advisor_id asc)
        / sum(capacity) over (partition by territory_id) as slice_end
    from advisors
),

decided as (
    select
        decisions.client_key,
        decisions.territory_id,
        named_advisors.advisor_id as named_advisor_id
    from decisions
    left join advisors as named_advisors
        on decisions.named_advisor_id = named_advisors.advisor_id
),

hashed_clients as (
    select
        client_key,
        territory_id,
        {{ hash_fraction('client_key') }} as client_position
    from decided
    where named_advisor_id is null
),

balanced_options as (
    select
        hashed_clients.client_key,
        advisor_slices.advisor_id,
        row_number() over (
            partition by hashed_clients.client_key
            order by
                case
                    when hashed_clients.client_position >= advisor_slices.slice_start
                        and hashed_clients.client_position < advisor_slices.slice_end then 0
                    else
                        (advisor_slices.slice_start - hashed_clients.client_position + 1)
                        - floor(advisor_slices.slice_start - hashed_clients.client_position + 1)
                end asc,
                advisor_slices.advisor_id asc
        ) as preference
    from hashed_clients
    inner join advisor_slices
        on hashed_clients.territory_id = advisor_slices.territory_id
    left join blacklisted_advisors
        on
            hashed_clients.client_key = blacklisted_advisors.client_key
            and advisor_slices.advisor_id = blacklisted_advisors.advisor_id
    where blacklisted_advisors.advisor_id is null
),

final as (
    select
        decided.client_key,
        coalesce(decided.named_advisor_id, balanced_options.advisor_id) as advisor_id,
        case
            when decided.named_advisor_id is not null then 'named by rule'
            when balanced_options.advisor_id is not null then 'balanced by capacity'
        end as advisor_choice
    from decided
    left join balanced_options
        on
            decided.client_key = balanced_options.client_key
            and balanced_options.preference = 1
)

select * from final
