with

clusters as (
    select * from {{ ref('int_clients_clustered') }}
),

records as (
    select * from clusters
    where row_type = 'record'
),

final as (
    select
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast(client_id as {{ dbt.type_string() }}) as source_client_id,
        cast(client_key as {{ dbt.type_string() }}) as client_key,
        cast(match_confidence as double) as match_confidence,
        cast(best_match_client_id as {{ dbt.type_string() }}) as best_match_source_client_id,
        cast(best_match_probability as double) as best_match_probability,
        cast(cluster_size as integer) as cluster_size
    from records
)

select * from final
