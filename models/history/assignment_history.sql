{#
    Recorded history of every golden client's territory assignment, on as-of dates: a row when
    territory, advisor, tier or deciding rule changes (the reason is stored with it), and a
    retirement row when the client key leaves the delivery. Which runs write it, and why
    --full-refresh never rebuilds it: macros/history/as_of_history.sql. assignments_fact turns
    it into versions with valid_from/valid_to.
#}
{{ config(pre_hook="{{ clear_recorded_from_as_of() }}") }}

{% set recorded = history_is_recorded() %}

with

assignments as (
    select * from {{ ref('int_assignments_current') }}
),

changes as (
    {{ history_changes(
        'assignments',
        this if is_incremental() else none,
        'client_key',
        compared=['territory_id', 'advisor_id', 'tier', 'rule_id'],
        carried=['reason'],
    ) | indent(4) }}
),

final as (
    select * from changes
    {% if not recorded -%}
    where 1 = 0
    {%- endif %}
)

select * from final
