with

clients as (
    select * from {{ ref('stg_crm__clients') }}
),

clusters as (
    select * from {{ ref('int_clients_clustered') }}
),

source_systems as (
    select * from {{ ref('source_systems') }}
),

country_regions as (
    select * from {{ ref('country_regions') }}
),

parent_records as (
    select
        client_id as parent_client_id,
        client_key as parent_client_key
    from clusters
),

resolved as (
    select
        clusters.client_key,
        clients.client_id,
        clients.source_system,
        coalesce(source_systems.survivorship_rank, 99) as survivorship_rank,
        clusters.match_confidence,
        clients.client_name,
        clients.client_type,
        clients.email,
        clients.phone,
        clients.address_line,
        clients.city,
        clients.postcode,
        clients.state,
        coalesce(country_regions.country_name, clients.country) as country,
        coalesce(country_regions.region, 'Unknown') as region,
        clients.date_of_birth,
        clients.tax_id,
        clients.industry,
        clients.annual_revenue,
        clients.parent_client_id,
        -- A child pointing at a duplicate of itself has no parent once duplicates are merged.
        nullif(parent_records.parent_client_key, clusters.client_key) as parent_client_key,
        clients.created_at,
        clients.updated_at,
        (case when clients.email is not null then 1 else 0 end)
        + (case when clients.phone is not null then 1 else 0 end)
        + (case when clients.address_line is not null then 1 else 0 end)
        + (case when clients.postcode is not null then 1 else 0 end)
        + (case when clients.country is not null then 1 else 0 end)
        + (case when clients.tax_id is not null then 1 else 0 end)
        + (case when clients.date_of_birth is not null then 1 else 0 end)
        + (case when clients.industry is not null then 1 else 0 end) as completeness
    from clients
    inner join clusters
        on clients.client_id = clusters.client_id
    left join source_systems
        on clients.source_system = source_systems.source_system
    left join country_regions
        on
            lower(clients.country) = lower(country_regions.country_name)
            or upper(clients.country) = country_regions.iso2
    left join parent_records
        on clients.parent_client_id = parent_records.parent_client_id
),

final as (
    select * from resolved
)

select * from final
