{#
    Overrides dbt's is_incremental(): false in an offline compile, which cannot ask the warehouse.

    dbt's is_incremental(), except when compiling offline (var offline): dbt's check looks the
    relation up in the warehouse, which an offline compile (e.g. for Snowflake in CI) cannot
    reach. Offline, SQL models compile their full-build SQL and Python models their full-build
    code. Overrides the built-in by name, so dbt's own Python model wrapper uses it too.
#}
{% macro is_incremental() %}
    {% if var('offline') %}
        {{ return(false) }}
    {% endif %}
    {{ return(dbt.is_incremental()) }}
{% endmacro %}
