with

checked_clients as (
    select * from {{ ref('base_crm__clients') }}
),

final as (
    select
        client_id,
        source_system,
        client_name,
        client_type,
        email,
        phone,
        nullif({{ regexp_replace_all('phone', '[^0-9]', '') }}, '') as phone_digits,
        address_line,
        city,
        postcode,
        state,
        country,
        date_of_birth,
        tax_id,
        parent_client_id,
        industry,
        annual_revenue,
        created_at,
        updated_at,
        quality_flags,
        row_hash
    from checked_clients
    where reject_reason is null
)

select * from final
