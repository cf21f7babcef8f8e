{#
    The raw file contract: the columns of each raw CRM file, in file order. Staging selects them,
    the run-start hook checks every file's header against them, and the same hook fails if the
    source YAML documents a different list, so code, docs and files cannot drift apart.
#}
{% macro raw_file_contract() %}
    {{ return({
        'clients': [
            'source_system', 'client_id', 'client_name', 'client_type', 'email', 'phone',
            'address_line', 'city', 'postcode', 'state', 'country', 'date_of_birth', 'tax_id',
            'parent_client_id', 'industry', 'annual_revenue', 'created_at', 'updated_at',
        ],
        'products': ['stock_code', 'description', 'category', 'unit_price', 'launch_date', 'status'],
        'transactions': [
            'invoice_no', 'stock_code', 'description', 'quantity', 'unit_price', 'invoice_date',
            'client_id', 'country',
        ],
    }) }}
{% endmacro %}

{# Selects every contract column of a raw table as raw_<column>, keeping the text untouched. #}
{% macro select_raw_columns(table_name) -%}
    {%- for column in raw_file_contract()[table_name] %}
        {{ column }} as raw_{{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{# A raw table's lines: every contract column as raw_<column>, and the line's raw_checksum. #}
{% macro checksummed_raw_lines(table_name) -%}
    select
        {{ select_raw_columns(table_name) }},
        {{ raw_row_checksum(table_name, prefix='') }} as raw_checksum
    from {{ source('crm', table_name) }}
{%- endmacro %}

{# Fingerprint over the raw_<column> copies of a raw table's contract columns. #}
{% macro raw_row_hash(table_name, prefix='raw_') -%}
    {{ row_hash(raw_column_names(table_name, prefix)) }}
{%- endmacro %}

{# A raw row's id: its fingerprint and which copy of an identical row it is (1 for most rows). #}
{% macro raw_row_id() -%}
    row_hash || '-' || cast(row_occurrence as {{ dbt.type_string() }})
{%- endmacro %}

{# Checksum (macro row_checksum) over a raw table's contract columns, named with the prefix. #}
{% macro raw_row_checksum(table_name, prefix='raw_') -%}
    {{ row_checksum(raw_column_names(table_name, prefix)) }}
{%- endmacro %}

{% macro raw_column_names(table_name, prefix) -%}
    {%- set names = [] -%}
    {%- for column in raw_file_contract()[table_name] -%}
        {%- do names.append(prefix ~ column) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

{# The raw_<column> copies under their original names: what a rejected row looked like in the file. #}
{% macro restore_raw_columns(table_name) -%}
    {%- for column in raw_file_contract()[table_name] %}
        raw_{{ column }} as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#
    The raw_<column> copies, kept only where reject_reason is set: a rejected row must show what
    the file said, while a staged row's typed columns say the same and its raw text would only
    double what the table stores.
#}
{% macro raw_text_if_rejected(table_name) -%}
    {%- for column in raw_file_contract()[table_name] %}
        case when reject_reason is not null then raw_{{ column }} end
            as raw_{{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
