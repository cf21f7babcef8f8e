{#
    A history model stores a row only when a key's state changes: no row may repeat the state
    of the key's previous row (same compared columns, both retired or both not).
#}
{% test history_records_only_changes(model, key, compared) %}

with

ordered as (
    select
        {{ key }} as history_key,
        recorded_as_of,
        is_retired,
        lag(is_retired) over (partition by {{ key }} order by recorded_as_of) as previous_retired,
        {%- for column in compared %}
        {{ column }} as current_{{ loop.index }},
        lag({{ column }}) over (
            partition by {{ key }} order by recorded_as_of
        ) as previous_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
)

select
    history_key,
    recorded_as_of
from ordered
where
    previous_retired is not null
    and is_retired = previous_retired
    and (
        is_retired
        or (
            {%- for column in compared %}
            {{ 'and ' if not loop.first }}current_{{ loop.index }} is not distinct from previous_{{ loop.index }}
            {%- endfor %}
        )
    )

{% endtest %}
