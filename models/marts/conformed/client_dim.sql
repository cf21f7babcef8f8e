with

records as (
    select * from {{ ref('int_client_records_resolved') }}
),

revenue_bands as (
    select * from {{ ref('revenue_bands') }}
),

survived as (
    select
        client_key,
        row_number() over (partition by client_key order by client_id) as member_number,
        {{ survivor('client_name', 'preferred_source') }} as client_name,
        {{ survivor('client_type', 'preferred_source') }} as client_type,
        {{ survivor('industry', 'preferred_source') }} as industry,
        {{ survivor('parent_client_key', 'preferred_source') }} as parent_client_key,
        {{ survivor('email', 'most_recent') }} as email,
        {{ survivor('phone', 'most_recent') }} as phone,
        {{ survivor('annual_revenue', 'most_recent') }} as annual_revenue,
        {{ survivor('address_line', 'most_recent', 'address_line') }} as address_line,
        {{ survivor('city', 'most_recent', 'address_line') }} as city,
        {{ survivor('postcode', 'most_recent', 'address_line') }} as postcode,
        {{ survivor('state', 'most_recent', 'address_line') }} as state,
        {{ survivor('country', 'most_recent') }} as country,
        {{ survivor('region', 'most_recent', 'country') }} as region,
        {{ survivor('tax_id', 'most_complete') }} as tax_id,
        {{ survivor('date_of_birth', 'most_complete') }} as date_of_birth
    from records
),

golden as (
    select * from survived
    where member_number = 1
),

record_sources as (
    select distinct
        client_key,
        source_system
    from records
),

source_lists as (
    select
        client_key,
        {{ sorted_string_agg('source_system', ',') }} as source_systems
    from record_sources
    group by client_key
),

membership as (
    select
        client_key,
        count(*) as record_count,
        min(match_confidence) as min_match_confidence,
        min(created_at) as first_created_at,
        max(updated_at) as last_updated_at
    from records
    group by client_key
),

final as (
    select
        golden.client_key,
        golden.client_name,
        golden.client_type,
        golden.industry,
        golden.annual_revenue,
        coalesce(revenue_bands.revenue_band, 'unknown') as revenue_band,
        golden.email,
        golden.phone,
        golden.address_line,
        golden.city,
        golden.postcode,
        golden.state,
        golden.country,
        golden.region,
        golden.tax_id,
        golden.date_of_birth,
        golden.parent_client_key,
        membership.record_count,
        source_lists.source_systems,
        membership.min_match_confidence,
        membership.first_created_at,
        membership.last_updated_at
    from golden
    inner join membership
        on golden.client_key = membership.client_key
    inner join source_lists
        on golden.client_key = source_lists.client_key
    left join revenue_bands
        on
            golden.annual_revenue >= revenue_bands.min_annual_revenue
            and (
                golden.annual_revenue < revenue_bands.max_annual_revenue
                or revenue_bands.max_annual_revenue is null
            )
)

select * from final
