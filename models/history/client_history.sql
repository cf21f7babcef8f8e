{#
    Recorded history of golden client attributes, on as-of dates: a row whenever name, type,
    contact details, address, region, tax id, revenue or parent changes, and a retirement row
    when the client key leaves the delivery. Written by the same runs as assignment_history
    (macros/history/as_of_history.sql).
#}
{{ config(pre_hook="{{ clear_recorded_from_as_of() }}") }}

{% set recorded = history_is_recorded() %}

with

clients as (
    select * from {{ ref('client_dim') }}
),

changes as (
    {{ history_changes(
        'clients',
        this if is_incremental() else none,
        'client_key',
        compared=[
            'client_name', 'client_type', 'industry', 'annual_revenue', 'email', 'phone',
            'address_line', 'city', 'postcode', 'state', 'country', 'region', 'tax_id',
            'date_of_birth', 'parent_client_key',
        ],
    ) | indent(4) }}
),

final as (
    select * from changes
    {% if not recorded -%}
    where 1 = 0
    {%- endif %}
)

select * from final
