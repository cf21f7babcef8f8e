{#
    Incremental loading of a raw file that is re-delivered in full (every run sees all lines, old
    and new). Lines are compared by raw_checksum (macro row_checksum over the contract columns),
    which the model stores on every row.
#}

{#
    Checksums occurring a different number of times in the file than in the model: new lines,
    new or fewer copies of a line, and lines that left the file (in_file false). Reads the file on
    its own instead of sharing the model's raw CTE, which would make the warehouse buffer every
    line's text until the comparison is done.
    recheck: a condition on the model's rows whose verdict depends on the run, not only on the
    line (a date bound that moves with the delivery date); their checksums are retyped too.
#}
{% macro changed_raw_checksums(table_name, recheck=none) %}
    select
        raw_checksum,
        max(line_delta) > 0 as in_file
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
    select
        raw_checksum,
        true as in_file
    from {{ this }}
    where {{ recheck }}
    {%- endif %}
{% endmacro %}

{#
    Lines that left the file must leave the model, as a full refresh would leave them out. The
    changed checksums already name them (in_file false), so the model emits one tombstone per
    such checksum: a row of that raw_checksum whose other columns are all NULL, which makes
    delete+insert delete every loaded copy; the post-hook delete_raw_line_tombstones then deletes
    the tombstones (on DuckDB in the same transaction). Noticing a withdrawal by counting the
    file's lines instead cost a full read of the file on every run, and a withdrawal a second
    read joined with every loaded checksum.
    columns: the model's columns in order; each but raw_checksum is NULL.
#}
{% macro raw_line_tombstones(changes_cte, columns) %}
    select
        {%- for column in columns %}
        {{ 'raw_checksum' if column == 'raw_checksum' else 'null' }} as {{ column }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from {{ changes_cte }}
    where not in_file
{% endmacro %}

{# Post-hook: deletes the tombstones (macro raw_line_tombstones); row_hash is never NULL otherwise. #}
{% macro delete_raw_line_tombstones() %}
    delete from {{ this }}
    where row_hash is null
{% endmacro %}
