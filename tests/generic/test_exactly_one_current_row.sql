{#
    A history table must hold exactly one current row (is_current) for every key of the
    reference model: none missing, none doubled.
#}
{% test exactly_one_current_row(model, key, expected_keys) %}

with

current_rows as (
    select
        {{ key }} as entity_key,
        count(*) as current_count
    from {{ model }}
    where is_current
    group by {{ key }}
),

expected as (
    select {{ key }} as entity_key from {{ expected_keys }}
)

select
    coalesce(expected.entity_key, current_rows.entity_key) as entity_key,
    coalesce(current_rows.current_count, 0) as current_count
from expected
full outer join current_rows
    on expected.entity_key = current_rows.entity_key
where coalesce(current_rows.current_count, 0) <> 1 or expected.entity_key is null

{% endtest %}
