{#
    Post-hook of an incremental model that must hold exactly the rows of its source, so that an
    incremental run gives what a full refresh would: rows whose key left the source are deleted.
    After the merge every row of the source is loaded, so the model holds more rows than the
    source only if some left it; the costly anti-join runs only then.
    source_key: the key expression, evaluated over source_relation.
#}
{% macro delete_keys_missing_from(key, source_relation, source_key) %}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set counts = run_query(
        'select (select count(*) from ' ~ this ~ '), (select count(*) from ' ~ source_relation ~ ')'
    ) %}
    {% if counts.rows[0][0] == counts.rows[0][1] %}
        {{ return('') }}
    {% endif %}
    delete from {{ this }}
    where {{ key }} not in (select {{ source_key }} from {{ source_relation }})
{% endmacro %}
