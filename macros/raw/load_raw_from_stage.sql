{#
    Loads the raw CRM files from a named Snowflake stage into RAW tables (all columns text, as on
    DuckDB), one table per file in the raw file contract:

        dbt run-operation load_raw_from_stage --args '{stage: "raw.crm_stage"}' --target snowflake

    Each file's header is checked against the contract first (same checks and messages as the
    DuckDB run-start check: missing or duplicated columns, another delimiter),
    then the file is copied by column name into a side table that is swapped in, so readers never
    see a half-loaded table and a failed load leaves the previous data in place.
    With dry_run=true it only logs the statements it would run (works on any target).
#}
{% macro load_raw_from_stage(stage='raw.crm_stage', dry_run=false) %}
    {% if target.type != 'snowflake' and not dry_run %}
        {% do exceptions.raise_compiler_error(
            'load_raw_from_stage loads Snowflake RAW tables; on ' ~ target.type ~ ' the raw files'
            ~ ' are read in place from var raw_data_dir. Use dry_run=true to print the SQL.') %}
    {% endif %}
    {% set schema_fqn = var('raw_database', target.database) ~ '.' ~ var('raw_schema', 'raw') %}
    {% set file_format = schema_fqn ~ '.crm_csv' %}
    {% do run_raw_load_statement(dry_run, 'create schema if not exists ' ~ schema_fqn) %}
    {% do run_raw_load_statement(dry_run,
        'create file format if not exists ' ~ file_format ~ ' type = csv parse_header = true'
        ~ ' field_delimiter = \',\' field_optionally_enclosed_by = \'"\''
        ~ ' empty_field_as_null = true error_on_column_count_mismatch = false'
        ~ ' encoding = \'UTF8\'') %}
    {% for table_name, columns in raw_file_contract().items() %}
        {% set file_path = '@' ~ stage ~ '/' ~ table_name ~ '.csv' %}
        {% set table_fqn = schema_fqn ~ '.' ~ table_name %}
        {% if not dry_run %}
            {% do check_staged_file_header(table_name, file_path, file_format, columns) %}
        {% endif %}
        {% set column_list = [] %}
        {% for column in columns %}{% do column_list.append(column ~ ' varchar') %}{% endfor %}
        {% for statement in [
            'create or replace table ' ~ table_fqn ~ '__loading (' ~ column_list | join(', ') ~ ')',
            'copy into ' ~ table_fqn ~ '__loading from ' ~ file_path
                ~ ' file_format = (format_name = \'' ~ file_format ~ '\')'
                ~ ' match_by_column_name = case_insensitive on_error = abort_statement force = true',
            'create table if not exists ' ~ table_fqn ~ ' like ' ~ table_fqn ~ '__loading',
            'alter table ' ~ table_fqn ~ ' swap with ' ~ table_fqn ~ '__loading',
            'drop table ' ~ table_fqn ~ '__loading',
        ] %}
            {% do run_raw_load_statement(dry_run, statement) %}
        {% endfor %}
    {% endfor %}
{% endmacro %}

{% macro run_raw_load_statement(dry_run, statement) %}
    {% if dry_run %}
        {% do log(statement ~ ';', info=true) %}
    {% else %}
        {% do run_query(statement) %}
    {% endif %}
{% endmacro %}

{% macro check_staged_file_header(table_name, file_path, file_format, columns) %}
    {% set header = run_query(
        "select lower(column_name) from table(infer_schema(location => '" ~ file_path
        ~ "', file_format => '" ~ file_format ~ "')) order by order_id"
    ).columns[0].values() | list %}
    {% do check_raw_header(table_name, file_path, columns, header) %}
{% endmacro %}
