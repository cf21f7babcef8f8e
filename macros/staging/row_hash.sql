{#
    Fingerprint of a raw row over all of its contract columns. Two rows with the same hash are
    exact duplicates. ASCII control characters (unit separator between fields, record separator
    for NULL) cannot occur in sane CSV text, so neither a '|' inside a field nor a NULL standing
    beside an empty string can make two different rows hash alike. dbt.hash is MD5 of the text on
    both targets. One concat call builds the text: a chain of || builds every intermediate string,
    which cost DuckDB a second of the two-core statement at 10 M lines. Its fields are never NULL,
    so concat, which skips NULLs on DuckDB only, gives the same text on both targets.
#}
{% macro row_hash(columns) -%}
    {%- set fields = [] -%}
    {%- for column in columns -%}
        {%- set field = 'coalesce(cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ '), chr(30))' -%}
        {%- do fields.append(field) -%}
    {%- endfor -%}
    {{ dbt.hash('concat(' ~ fields | join(', chr(31), ') ~ ')') }}
{%- endmacro %}

{#
    64-bit checksum of a raw row: much cheaper than row_hash's MD5 text, so an incremental run can
    compare a whole re-delivered file with what is loaded. Different rows may rarely share a
    checksum; that only makes a run reload all of them. Values depend on the warehouse's hash
    function, so they are only ever compared within one warehouse. The key tests
    (unique_combination, key_and_row_rules) group keys by it for the same reason.
#}
{% macro row_checksum(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}
