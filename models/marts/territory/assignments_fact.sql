{#
    Territory assignment versions per golden client, on as-of dates: what assignment_history
    recorded before this build's as-of date, then the changes at that date. The changes are
    computed here as well as recorded there, so a what-if build (which records nothing) still
    shows its own as-of date as current, and versions recorded after it stay out of view.
#}
with

history as (
    select * from {{ ref('assignment_history') }}
),

assignments as (
    select * from {{ ref('int_assignments_current') }}
),

recorded_before_as_of as (
    select * from history
    where recorded_as_of < {{ as_of_date() }}
),

changes_at_as_of as (
    {{ history_changes(
        'assignments',
        'history',
        'client_key',
        compared=['territory_id', 'advisor_id', 'tier', 'rule_id'],
        carried=['reason'],
    ) | indent(4) }}
),

timeline as (
    select * from recorded_before_as_of
    union all
    select * from changes_at_as_of
),

versions as (
    select
        *,
        lead(recorded_as_of) over (
            partition by client_key order by recorded_as_of
        ) as next_recorded_as_of,
        lead(is_retired) over (
            partition by client_key order by recorded_as_of
        ) as next_is_retired
    from timeline
),

final as (
    select
        client_key,
        territory_id as territory_key,
        advisor_id as advisor_key,
        tier,
        rule_id,
        reason,
        recorded_as_of as valid_from,
        next_recorded_as_of as valid_to,
        case
            when next_is_retired then 'client_retired'
            when next_recorded_as_of is not null then 'reassigned'
        end as end_reason,
        next_recorded_as_of is null as is_current
    from versions
    where not is_retired
)

select * from final
