{#
    Incremental loading of a raw file that is re-delivered in full (every run sees all lines, old
    and new). Lines are compared by raw_checksum (macro row_checksum over the contract columns),
    which the model stores on every row.
#}

{#
    Checksums occurring a different number of times in the file than in the model: new lines,
    new or fewer copies of a line. Reads the file on its own instead of sharing the model's raw
    CTE, which would make the warehouse buffer every line's text until the comparison is done.
    recheck: a condition on the model's rows whose verdict depends on the run, not only on the
    line (a date bound that moves with the delivery date); their checksums are retyped too.
#}
{% macro changed_raw_checksums(table_name, recheck=none) %}
    select raw_checksum
    from (
        select
            {{ raw_row_checksum(table_name, prefix='') }} as raw_checksum,
            1 as line_delta
        from {{ source('crm', table_name) }}
        union all
        select
            raw_checksum,
            -1 as line_delta
        from {{ this }}
    ) as lines
    group by raw_checksum
    having sum(line_delta) != 0
    {%- if recheck %}
    union all
    select raw_checksum
    from {{ this }}
    where {{ recheck }}
    {%- endif %}
{% endmacro %}

{# Post-hook: lines that left the file leave the model (macro delete_keys_missing_from). #}
{% macro delete_vanished_raw_lines(table_name) %}
    {{ return(delete_keys_missing_from(
        'raw_checksum',
        source('crm', table_name),
        raw_row_checksum(table_name, prefix=''),
    )) }}
{% endmacro %}
