{%- set survivors = client_attribute_survivorship() %}

with

records as (
    select * from {{ ref('int_client_records_resolved') }}
),

revenue_bands as (
    select * from {{ ref('revenue_bands') }}
),

numbered as (
    select
        {%- for rule in survivorship_orders() %}
        {{ survivorship_rank_under(rule) }} as {{ rule }}_number,
        {%- endfor %}
        records.*
    from records
),

survivor_numbers as (
    select
        {%- for column, (rule, present) in survivors.items() %}
        {{ survivor_number(column, rule, present) }} as {{ column }}_survivor,
        {%- endfor %}
        client_key
    from numbered
    group by client_key
),

golden as (
    select
        {%- for column, (rule, _) in survivors.items() %}
        {%- set survivor = 'survivor_numbers.' ~ column ~ '_survivor' %}
        {{ survivor_value('numbered', column, rule, survivor) }} as {{ column }},
        {%- endfor %}
        numbered.client_key
    from numbered
    inner join survivor_numbers
        on numbered.client_key = survivor_numbers.client_key
    group by numbered.client_key
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
