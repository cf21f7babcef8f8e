{#
    Every raw invoice line, typed and checked. The raw file is re-delivered in full, so an
    incremental run compares the file with what is loaded by a cheap per-line checksum, and types
    only lines whose checksum occurs a different number of times (new lines, new or fewer copies
    of a line): delete+insert on raw_checksum reloads every copy of such a line, numbered afresh.
    Lines that left the file leave through tombstones (macro raw_line_tombstones), so an
    incremental run gives the same rows as a full refresh. Nothing stored here depends on a seed: the non-product flag is joined in
    stg_crm__transactions, so a changed non_product_codes seed reaches every loaded line. Raw text is kept for rejected lines only: a staged line's typed columns say
    the same, and writing 10 M lines of raw text twice was a third of this model's time. The
    line's id is row_hash and row_occurrence: the raw_row_id text they make is spelled out only for
    rejected lines (writing a third unique string per line cost 30 % of the table write).
    One verdict depends on the run rather than the line: a date after the delivery date (by
    default the run's date) is implausible. Loaded lines whose verdict the current bounds could
    change (rejected as implausible, or dated outside the bounds) are retyped on every run, so a
    line dated tomorrow is staged once tomorrow has come, as a full build would stage it.
#}
{{ config(
    materialized='incremental',
    unique_key='raw_checksum',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_raw_line_tombstones() }}",
) }}
{%- set raw_columns = raw_column_names('transactions', 'raw_') %}
{%- set one_column_sets = '(' ~ raw_columns | join('), (') ~ ')' %}

with

{% if is_incremental() %}
checksum_changes as (
    {{ changed_raw_checksums(
        'transactions',
        recheck="reject_reason = 'implausible_invoice_date' or "
            ~ is_implausible_date('invoice_at'),
    ) }}
),

lines_to_type as (
    {{ checksummed_raw_lines('transactions') }}
    where
        {{ raw_row_checksum('transactions', prefix='') }}
        in (select checksum_changes.raw_checksum from checksum_changes)
),

{% endif %}
{# Three readers of the lines. A full build reads the file once for each: shared, DuckDB would
    buffer every line's text for all three (at 10 M lines, 2 GB of memory and 1 GB spilled to
    disk), which costs more than reading the file again. An incremental run reads the few
    changed lines once and shares them. #}
{% for reader in ['value_lines', 'unique_lines', 'repeated_lines'] %}
{{ reader }} as (
    {% if is_incremental() -%}
    select * from lines_to_type
    {%- else -%}
    {{ checksummed_raw_lines('transactions') }}
    {%- endif %}
),

{% endfor %}
{# Text values repeat millions of times (a few thousand descriptions and prices, a few hundred
    thousand client ids and invoice dates at 10 M lines): each distinct value is cleaned once, in
    one pass over the lines, and joined back. Every cleaning rule maps NULL to NULL, so a NULL
    raw value needs no entry. The same pass counts the lines of each checksum. #}
raw_values as (
    {# sqlfluff's duckdb dialect does not parse grouping sets; DuckDB and Snowflake run them. #}
    select
        {{ raw_columns | join(', ') }},
        raw_checksum,
        count(*) as copies
    from value_lines
    group by grouping sets ({{ one_column_sets }}, (raw_checksum))  -- noqa: PRS
),

{% for column, (typed_column, cleaned) in transaction_cleaning_rules().items() %}
{{ column }}_values as (
    select
        raw_{{ column }},
        {{ cleaned }} as {{ typed_column }}
    from raw_values
    where raw_{{ column }} is not null
),

{% endfor %}
{# Exact duplicates share a checksum: only lines of a checksum counted more than once are
    numbered copy by copy (a window over every line cost a sort of all of them). A checksum is
    never NULL: a NULL one is a row of another grouping set. #}
repeated_checksums as (
    select raw_checksum
    from raw_values
    where raw_checksum is not null and copies > 1
),

numbered as (
    select
        unique_lines.*,
        1 as row_occurrence
    from unique_lines
    where unique_lines.raw_checksum not in (
            select repeated_checksums.raw_checksum from repeated_checksums
        )
    union all
    select
        repeated_lines.*,
        row_number() over (
            partition by {{ raw_column_names('transactions', 'repeated_lines.raw_') | join(', ') }}
            order by repeated_lines.raw_checksum
        ) as row_occurrence
    from repeated_lines
    where repeated_lines.raw_checksum in (
            select repeated_checksums.raw_checksum from repeated_checksums
        )
),

typed as (
    select
        numbered.*,
        {{ raw_row_hash('transactions', 'numbered.raw_') }} as row_hash,
        {%- for column, (typed_column, _) in transaction_cleaning_rules().items() %}
        {{ column }}_values.{{ typed_column }},
        {%- endfor %}
        left(invoice_no_values.invoice_no, 1) = 'C' as is_cancellation
    from numbered
    {% for column in transaction_cleaning_rules() %}
    left join {{ column }}_values
        on numbered.raw_{{ column }} = {{ column }}_values.raw_{{ column }}
    {% endfor %}
),

checked as (
    select
        *,
        case
            when row_occurrence > 1 then 'duplicate_row'
            when invoice_no is null then 'missing_invoice_no'
            when stock_code is null then 'missing_stock_code'
            when client_id is null then 'missing_client_id'
            when invoice_at is null then 'invalid_invoice_date'
            when {{ is_implausible_date('invoice_at') }} then 'implausible_invoice_date'
            when quantity is null then 'invalid_quantity'
            when unit_price is null then 'invalid_unit_price'
            when quantity = 0 then 'zero_quantity'
            when unit_price <= 0 then 'non_positive_unit_price'
            when abs(quantity) > {{ max_line_quantity() }} then 'quantity_out_of_range'
            when abs(quantity) * unit_price > {{ max_line_amount() }}
                then 'line_amount_out_of_range'
            when is_cancellation and quantity > 0 then 'cancellation_with_positive_quantity'
            when not is_cancellation and quantity < 0
                then 'negative_quantity_without_cancellation'
        end as reject_reason
    from typed
),

final as (
    select
        row_hash,
        raw_checksum,
        row_occurrence,
        reject_reason,
        {{ raw_text_if_rejected('transactions') }},
        invoice_no,
        stock_code,
        description,
        quantity,
        unit_price,
        invoice_at,
        client_id,
        country,
        is_cancellation
    from checked
    {%- if is_incremental() %}
    union all
    {{ raw_line_tombstones('checksum_changes', ['row_hash', 'raw_checksum', 'row_occurrence',
        'reject_reason'] + raw_columns + ['invoice_no', 'stock_code', 'description', 'quantity',
        'unit_price', 'invoice_at', 'client_id', 'country', 'is_cancellation']) }}
    {%- endif %}
)

select * from final
