with

raw_clients as (
    select {{ select_raw_columns('clients') }}
    from {{ source('crm', 'clients') }}
),

typed as (
    select
        *,
        {{ raw_row_hash('clients') }} as row_hash,
        {{ clean_text('raw_client_id') }} as client_id,
        lower({{ clean_text('raw_source_system') }}) as source_system,
        {{ clean_text('raw_client_name') }} as client_name,
        lower({{ clean_text('raw_client_type') }}) as parsed_client_type,
        lower({{ clean_text('raw_email') }}) as email,
        {{ clean_text('raw_phone') }} as phone,
        {{ clean_text('raw_address_line') }} as address_line,
        {{ clean_text('raw_city') }} as city,
        upper({{ clean_text('raw_postcode') }}) as postcode,
        {{ clean_text('raw_state') }} as state,
        {{ clean_text('raw_country') }} as country,
        {{ parse_date('raw_date_of_birth') }} as parsed_date_of_birth,
        nullif(upper({{ regexp_replace_all('raw_tax_id', '[^[:alnum:]]', '') }}), '') as tax_id,
        {{ clean_text('raw_parent_client_id') }} as parent_client_id,
        {{ clean_text('raw_industry') }} as industry,
        {{ parse_decimal('raw_annual_revenue', 18, 2) }} as parsed_annual_revenue,
        {{ parse_timestamp('raw_created_at') }} as parsed_created_at,
        {{ parse_timestamp('raw_updated_at') }} as parsed_updated_at
    from raw_clients
),

numbered as (
    select
        *,
        {{ row_occurrence() }} as row_occurrence
    from typed
),

-- Only a duplicate or a missing key rejects a client; any other bad value is nulled and flagged.
checked as (
    select
        *,
        case
            when row_occurrence > 1 then 'duplicate_row'
            when client_id is null then 'missing_client_id'
            when client_name is null then 'missing_client_name'
        end as row_reject_reason,
        case
            when parsed_client_type not in ('institution', 'individual') then 'unknown_value'
        end as client_type_issue,
        {{ date_quality_issue(
            'raw_date_of_birth', 'parsed_date_of_birth', earliest='1900-01-01'
        ) }} as date_of_birth_issue,
        case
            when {{ is_malformed('raw_annual_revenue', 'parsed_annual_revenue') }}
                then 'unparseable'
            when parsed_annual_revenue < 0 then 'negative'
        end as annual_revenue_issue,
        {{ date_quality_issue('raw_created_at', 'parsed_created_at') }} as created_at_issue,
        {{ date_quality_issue('raw_updated_at', 'parsed_updated_at') }} as updated_at_issue
    from numbered
),

cleaned as (
    select
        *,
        case when client_type_issue is null then parsed_client_type end as client_type,
        case when date_of_birth_issue is null then parsed_date_of_birth end as date_of_birth,
        case when annual_revenue_issue is null then parsed_annual_revenue end as annual_revenue,
        case when created_at_issue is null then parsed_created_at end as created_at,
        case when updated_at_issue is null then parsed_updated_at end as updated_at,
        {{ quality_flags({
            'client_type': 'client_type_issue',
            'date_of_birth': 'date_of_birth_issue',
            'annual_revenue': 'annual_revenue_issue',
            'created_at': 'created_at_issue',
            'updated_at': 'updated_at_issue',
        }) }} as quality_flags
    from checked
),

-- The contract says client_id is unique; when rows that are not rejected disagree, the latest
-- update wins. A nulled updated_at counts as oldest, so a bad timestamp never wins an id.
ranked_ids as (
    select
        *,
        {{ key_rank('client_id', 'updated_at desc nulls last, row_hash asc') }} as client_id_rank
    from cleaned
),

final as (
    select
        *,
        {{ raw_row_id() }} as raw_row_id,
        {{ reject_reason_with_key_rank('client_id_rank', 'duplicate_client_id') }} as reject_reason
    from ranked_ids
)

select
    * exclude (
        parsed_client_type,
        parsed_date_of_birth,
        parsed_annual_revenue,
        parsed_created_at,
        parsed_updated_at,
        row_reject_reason,
        client_type_issue,
        date_of_birth_issue,
        annual_revenue_issue,
        created_at_issue,
        updated_at_issue,
        client_id_rank
    )
from final
