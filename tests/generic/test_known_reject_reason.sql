{#
    Every reject reason must be one documented in the reject_reasons seed for that entity, so that
    the reasons analysts read are explained and a new rule cannot ship undocumented.
#}
{% test known_reject_reason(model, column_name, entity) %}

with

documented as (
    select reason_code from {{ ref('reject_reasons') }}
    where entity = '{{ entity }}'
)

select {{ column_name }} as undocumented_reason
from {{ model }}
where
    {{ column_name }} is null
    or {{ column_name }} not in (select reason_code from documented)

{% endtest %}
