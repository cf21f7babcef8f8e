{#
    Invoice lines at line grain. Incremental: each run merges lines that are new and lines
    whose resolution changed — golden client (dedupe can merge clusters, which re-keys their
    clients), match status (a client record that left the delivery or was rejected) or
    non-product flag (the non_product_codes seed) — and the post-hook deletes lines no longer
    staged, so an incremental run gives the same rows as a full refresh. Lines whose client
    record was rejected in staging keep a NULL client_key and say why in client_match_status:
    nothing is dropped. A change to the cleaning rules themselves needs --full-refresh.
#}
{% set match_status -%}
    case
        when xref.client_key is not null then 'matched'
        when rejected_clients.client_id is not null then 'client_record_rejected'
        else 'unknown_client'
    end
{%- endset %}
{{ config(
    materialized='incremental',
    unique_key='transaction_line_key',
    incremental_strategy='merge',
    on_schema_change='fail',
    post_hook=(
        "{{ delete_keys_missing_from('transaction_line_key',"
        " ref('stg_crm__transactions'), 'transaction_line_id') }}"
    ),
) }}

with

lines as (
    select * from {{ ref('stg_crm__transactions') }}
),

xref as (
    select * from {{ ref('client_xref') }}
),

rejected_clients as (
    select distinct trim(client_id) as client_id
    from {{ ref('stg_crm__clients_rejected') }}
    where client_id is not null
),

{% if is_incremental() %}
{# Only keys here, from a read of the staged lines of their own: carrying every column of every
   line through the comparison took most of an incremental run, and sharing the `lines` import
   made DuckDB hold all of them in memory. The full rows are built for the lines that changed. #}
line_keys as (
    select
        transaction_line_id,
        client_id,
        is_non_product
    from {{ ref('stg_crm__transactions') }}
),

changed_lines as (
    select line_keys.transaction_line_id
    from line_keys
    left join xref
        on line_keys.client_id = xref.source_client_id
    left join rejected_clients
        on line_keys.client_id = rejected_clients.client_id
    left join {{ this }} as loaded
        on line_keys.transaction_line_id = loaded.transaction_line_key
    where
        loaded.transaction_line_key is null
        or loaded.client_key is distinct from xref.client_key
        or loaded.client_match_status != {{ match_status }}
        or loaded.is_non_product != line_keys.is_non_product
),
{% endif %}

resolved as (
    select
        lines.transaction_line_id as transaction_line_key,
        lines.invoice_no,
        xref.client_key,
        lines.client_id as source_client_id,
        {{ match_status }} as client_match_status,
        lines.stock_code as product_key,
        lines.invoice_at,
        lines.invoice_date,
        lines.quantity,
        lines.unit_price,
        lines.line_amount as net_amount,
        lines.is_cancellation,
        lines.is_non_product,
        lines.country
    from lines
    left join xref
        on lines.client_id = xref.source_client_id
    left join rejected_clients
        on lines.client_id = rejected_clients.client_id
    {% if is_incremental() %}
    where lines.transaction_line_id in (
            select changed_lines.transaction_line_id from changed_lines
        )
    {% endif %}
),

final as (
    select * from resolved
)

select * from final
