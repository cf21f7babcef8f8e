{#
    Export an analytics view to files, for people and tools that take files rather than SQL:

        dbt run-operation export_view --args '{view: v_client_360, format: parquet}'
        make export VIEW=v_client_360 FORMAT=csv

    DuckDB: COPY to `path` (default exports/<view>.<format>; the directory must exist, which
    `make export` sees to). dbt connects as DATA_ENGINEER, so an export holds every row
    unmasked; pass role (and user) to export what that principal would see instead, e.g.
    {role: SALES_LEADERSHIP, user: lead_uk}.
    Snowflake: COPY INTO the stage var('export_stage') under <view>/, as the role dbt runs
    with; Snowflake's policies filter and mask for that role.
#}
{% macro export_view(view, format='parquet', path=none, role=none, user=none) %}
    {% if format not in ['parquet', 'csv'] %}
        {{ exceptions.raise_compiler_error("export_view: format must be parquet or csv, not " ~ format) }}
    {% endif %}
    {% set relation = ref(view) %}
    {% if relation.schema != generate_schema_name('analytics', none) %}
        {{ exceptions.raise_compiler_error("export_view exports analytics views only; " ~ view ~ " is in " ~ relation.schema) }}
    {% endif %}
    {{ return(adapter.dispatch('export_view', 'customer_analytics')(relation, format, path, role, user)) }}
{% endmacro %}

{% macro duckdb__export_view(relation, format, path, role, user) %}
    {% set path = path or 'exports/' ~ relation.identifier ~ '.' ~ format %}
    {% set options = '(format parquet)' if format == 'parquet' else '(format csv, header true)' %}
    {% set statements = [] %}
    {% if role %}
        {% do statements.append("set variable analytics_role = '" ~ role ~ "'") %}
        {% do statements.append("set variable analytics_user = '" ~ (user or '') ~ "'") %}
    {% endif %}
    {% do statements.append("copy (select * from " ~ relation ~ ") to '" ~ path ~ "' " ~ options) %}
    {% do run_query(statements | join(';\n')) %}
    {% set rows = run_query("select count(*) from read_" ~ format ~ "('" ~ path ~ "')").columns[0].values()[0] %}
    {% do run_query("set variable analytics_role = 'DATA_ENGINEER'") %}
    {% do log("exported " ~ rows ~ " rows of " ~ relation ~ " to " ~ path, info=true) %}
{% endmacro %}

{% macro snowflake__export_view(relation, format, path, role, user) %}
    {% set location = var('export_stage') ~ '/' ~ (path or relation.identifier ~ '/') %}
    {% set file_format = "type = parquet" if format == 'parquet' else "type = csv field_optionally_enclosed_by = '\"' compression = none" %}
    {% set result = run_query(
        "copy into " ~ location ~ " from (select * from " ~ relation ~ ")"
        ~ " file_format = (" ~ file_format ~ ") header = true overwrite = true"
    ) %}
    {% do log("exported " ~ relation ~ " to " ~ location, info=true) %}
{% endmacro %}
