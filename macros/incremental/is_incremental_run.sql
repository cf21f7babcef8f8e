{#
    is_incremental(), except when compiling offline (var offline): dbt's check looks the
    relation up in the warehouse, which an offline compile cannot reach. Offline, models
    compile their full-build SQL.
#}
{% macro is_incremental_run() %}
    {{ return(not var('offline') and is_incremental()) }}
{% endmacro %}
