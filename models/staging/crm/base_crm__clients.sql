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
        lower({{ clean_text('raw_client_type') }}) as client_type,
        lower({{ clean_text('raw_email') }}) as email,
        {{ clean_text('raw_phone') }} as phone,
        {{ clean_text('raw_address_line') }} as address_line,
        {{ clean_text('raw_city') }} as city,
        upper({{ clean_text('raw_postcode') }}) as postcode,
        {{ clean_text('raw_state') }} as state,
        {{ clean_text('raw_country') }} as country,
        {{ parse_date('raw_date_of_birth') }} as date_of_birth,
        nullif(upper({{ regexp_replace_all('raw_tax_id', '[^[:alnum:]]', '') }}), '') as tax_id,
        {{ clean_text('raw_parent_client_id') }} as parent_client_id,
        {{ clean_text('raw_industry') }} as industry,
        {{ parse_decimal('raw_annual_revenue', 18, 2) }} as annual_revenue,
        {{ parse_timestamp('raw_created_at') }} as created_at,
        {{ parse_timestamp('raw_updated_at') }} as updated_at
    from raw_clients
),

numbered as (
    select
        *,
        row_number() over (partition by row_hash order by row_hash) as row_occurrence
    from typed
),

checked as (
    select
        *,
        case
            when row_occurrence > 1 then 'duplicate_row'
            when client_id is null then 'missing_client_id'
            when client_name is null then 'missing_client_name'
            when client_type not in ('institution', 'individual') then 'invalid_client_type'
            when {{ is_malformed('raw_date_of_birth', 'date_of_birth') }}
                or {{ is_implausible_date('date_of_birth', earliest='1900-01-01') }}
                then 'invalid_date_of_birth'
            when {{ is_malformed('raw_annual_revenue', 'annual_revenue') }}
                or annual_revenue < 0 then 'invalid_annual_revenue'
            when {{ is_malformed('raw_created_at', 'created_at') }}
                or {{ is_implausible_date('created_at') }} then 'invalid_created_at'
            when {{ is_malformed('raw_updated_at', 'updated_at') }}
                or {{ is_implausible_date('updated_at') }} then 'invalid_updated_at'
        end as row_reject_reason
    from numbered
),

-- The contract says client_id is unique; when valid rows disagree, the latest update wins.
ranked_ids as (
    select
        *,
        row_number() over (
            partition by client_id, row_reject_reason
            order by updated_at desc nulls last, row_hash asc
        ) as client_id_rank
    from checked
),

final as (
    select
        *,
        row_hash || '-' || cast(row_occurrence as {{ dbt.type_string() }}) as raw_row_id,
        coalesce(
            row_reject_reason,
            case when client_id_rank > 1 then 'duplicate_client_id' end
        ) as reject_reason
    from ranked_ids
)

select * exclude (row_reject_reason, client_id_rank) from final
