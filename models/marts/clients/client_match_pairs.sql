{#- The compared fields, in the order of COMPARISONS in int_clients_clustered.py (a test keeps
    the two equal). -#}
{%- set fields = [
    'name', 'tax_id', 'email', 'phone', 'date_of_birth', 'address', 'postcode', 'city',
] -%}

with

clusters as (
    select * from {{ ref('int_clients_clustered') }}
),

pairs as (
    select * from clusters
    where row_type = 'pair'
),

final as (
    select
        cast(left_client_id as {{ dbt.type_string() }}) as left_client_id,
        cast(right_client_id as {{ dbt.type_string() }}) as right_client_id,
        cast(blocked_by as {{ dbt.type_string() }}) as blocked_by,
        {%- for field in fields %}
        cast({{ field }}_level as {{ dbt.type_string() }}) as {{ field }}_level,
        cast({{ field }}_weight as double) as {{ field }}_weight,
        {%- endfor %}
        cast(match_weight as double) as match_weight,
        cast(match_probability as double) as match_probability,
        cast(steward_decision as {{ dbt.type_string() }}) as steward_decision,
        cast(is_match as boolean) as is_match,
        cast(decided_by as {{ dbt.type_string() }}) as decided_by
    from pairs
)

select * from final
