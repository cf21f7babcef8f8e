with

clusters as (
    select * from {{ ref('int_clients_clustered') }}
),

parameters as (
    select * from clusters
    where row_type = 'parameter'
),

final as (
    select
        cast(parameter_name as {{ dbt.type_string() }}) as parameter_name,
        cast(field as {{ dbt.type_string() }}) as field,
        cast(comparison_level as {{ dbt.type_string() }}) as comparison_level,
        cast(m_probability as double) as m_probability,
        cast(u_probability as double) as u_probability,
        cast(match_weight as double) as match_weight,
        cast(m_estimated as boolean) as m_estimated,
        cast(tf_adjusted as boolean) as tf_adjusted,
        cast(prior_probability as double) as prior_probability,
        cast(em_iterations as integer) as em_iterations
    from parameters
)

select * from final
