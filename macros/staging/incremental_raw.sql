{#
    Incremental loading of a raw file that is re-delivered in full (every run sees all lines, old
    and new). Lines are compared by raw_checksum (macro row_checksum over the contract columns),
    which the model stores on every row.
#}

{#
    Checksums occurring a different number of times in the file than in the model: new lines,
    new or fewer copies of a line. Reads the file on its own instead of sharing the model's raw
    CTE, which would make the warehouse buffer every line's text until the comparison is done.
#}
{% macro changed_raw_checksums(table_name) %}
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
{% endmacro %}

{#
    Post-hook of an incremental base model over a raw file that is re-delivered in full: a line
    that left the file must leave staging too. After delete+insert on raw_checksum every checksum
    still in the file is loaded exactly as often as it occurs, so the model holds more rows than
    the file only if lines left it; checksumming the file again runs only then.
#}
{% macro delete_vanished_raw_lines(table_name) %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set raw_relation = source('crm', table_name) %}
    {% set counts = run_query(
        'select (select count(*) from ' ~ this ~ '), (select count(*) from ' ~ raw_relation ~ ')'
    ) %}
    {% if counts.rows[0][0] == counts.rows[0][1] %}
        {{ return('') }}
    {% endif %}
    delete from {{ this }}
    where raw_checksum not in (
        select {{ raw_row_checksum(table_name, prefix='') }} from {{ raw_relation }}
    )
{% endmacro %}
