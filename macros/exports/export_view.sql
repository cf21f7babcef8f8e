{#
    Export an analytics view of the *published* warehouse to files, for people and tools that
    take files rather than SQL. Exports never read what dbt is building or auditing.

    DuckDB: use `python -m customer_analytics.export --view v_client_360 --format parquet`
    (`make export VIEW=v_client_360 FORMAT=csv`), which opens the published file read-only.
    This operation refuses on DuckDB: dbt's connection is the working file, which may hold a
    build that failed its tests.

    Snowflake:

        dbt run-operation export_view --args '{view: v_client_360, format: parquet}' --target snowflake

    unloads the view of the published database (var published_database, default env
    SNOWFLAKE_PUBLISHED_DATABASE; it must differ from the target database, where dbt audits)
    with COPY INTO the stage var('export_stage') under <view>/, as the role dbt runs with, which
    needs USAGE on that database and its analytics schema, SELECT on the view and WRITE on the
    stage; Snowflake's policies filter and mask for that role. json unloads one object per row.
    An unload of no rows fails.
#}
{% macro export_view(view, format='parquet', path=none, role=none, user=none) %}
    {% if format not in ['parquet', 'csv', 'json'] %}
        {{ exceptions.raise_compiler_error("export_view: format must be parquet, csv or json, not " ~ format) }}
    {% endif %}
    {% set relation = ref(view) %}
    {% if relation.schema != generate_schema_name('analytics', none) %}
        {{ exceptions.raise_compiler_error("export_view exports analytics views only; " ~ view ~ " is in " ~ relation.schema) }}
    {% endif %}
    {{ return(adapter.dispatch('export_view', 'customer_analytics')(relation, format, path, role, user)) }}
{% endmacro %}

{% macro default__export_view(relation, format, path, role, user) %}
    {{ exceptions.raise_compiler_error(
        "export_view reads the published warehouse, which dbt's DuckDB connection (the working"
        ~ " file) is not; on DuckDB run: python -m customer_analytics.export --view "
        ~ relation.identifier ~ " --format " ~ format
        ~ (" --role " ~ role if role else "") ~ (" --user " ~ user if user else "")
    ) }}
{% endmacro %}

{% macro snowflake__export_view(relation, format, path, role, user) %}
    {% if role or user %}
        {{ exceptions.raise_compiler_error("export_view on Snowflake runs as dbt's role; role and user are for DuckDB") }}
    {% endif %}
    {% set result = run_query(snowflake_export_sql(relation, format, path)) %}
    {% set unloaded = result.rows[0][0] if result.rows | length > 0 else 0 %}
    {% if unloaded == 0 %}
        {{ exceptions.raise_compiler_error("export_view unloaded no rows of " ~ published_relation(relation) ~ " as role " ~ target.role) }}
    {% endif %}
    {% do log("exported " ~ unloaded ~ " rows of " ~ published_relation(relation) ~ " to " ~ var('export_stage'), info=true) %}
{% endmacro %}

{# The view as analysts read it: in the published database, not the audit (target) database. #}
{% macro published_relation(relation) %}
    {{ return(relation.incorporate(path={'database': published_database()}).include(database=true)) }}
{% endmacro %}

{% macro snowflake_export_sql(relation, format, path=none) -%}
    {%- set location = var('export_stage') ~ '/' ~ (path or relation.identifier ~ '/') -%}
    {%- set source = published_relation(relation) -%}
    {%- if format == 'json' -%}
        copy into {{ location }} from (select object_construct(*) from {{ source }})
        file_format = (type = json) overwrite = true
    {%- else -%}
        {%- set file_format = "type = parquet" if format == 'parquet' else "type = csv field_optionally_enclosed_by = '\"' compression = none" -%}
        copy into {{ location }} from (select * from {{ source }})
        file_format = ({{ file_format }}) header = true overwrite = true
    {%- endif -%}
{%- endmacro %}
