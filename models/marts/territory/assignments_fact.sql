{#
    Territory assignment history per golden client from the assignments snapshot. Validity is
    on as-of dates (the build date the warehouse describes), not on the wall clock, so two
    builds of the same input agree: a version is valid from the as-of date it was first
    recorded until the as-of date of the version that replaced it. When the same as-of date is
    built again on corrected input (a late delivery), the latest version recorded for that date
    replaces the earlier one instead of overlapping it.
#}
with

history as (
    select * from {{ ref('assignments_snapshot') }}
),

versions as (
    select
        client_key,
        territory_id,
        advisor_id,
        tier,
        rule_id,
        reason,
        assigned_as_of,
        dbt_valid_to,
        lead(assigned_as_of) over (
            partition by client_key order by dbt_valid_from asc
        ) as replaced_as_of
    from history
),

final as (
    select
        client_key,
        territory_id as territory_key,
        advisor_id as advisor_key,
        tier,
        rule_id,
        reason,
        assigned_as_of as valid_from,
        case
            when dbt_valid_to is not null then coalesce(replaced_as_of, assigned_as_of)
        end as valid_to,
        dbt_valid_to is null as is_current
    from versions
    where replaced_as_of is null or replaced_as_of > assigned_as_of
)

select * from final
