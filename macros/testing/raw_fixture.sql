{#
    Unit-test fixture for a raw CRM file. Raw sources are read from CSV files in place on DuckDB,
    so dbt cannot introspect their column types the way it does for tables; fixtures for them are
    given as SQL instead. This macro keeps those fixtures as short as dict rows: list only the
    columns a test cares about, every other contract column is NULL, and every value is text as
    in the file.
#}
{% macro raw_fixture(table_name, rows) -%}
    {%- set columns = raw_file_contract()[table_name] -%}
    {%- for row in rows %}
        {%- for key in row if key not in columns -%}
            {% do exceptions.raise_compiler_error(
                'raw_fixture: ' ~ key ~ ' is not a column of the ' ~ table_name ~ ' contract') %}
        {%- endfor %}
    select
        {%- for column in columns %}
        cast({{ "'" ~ row[column] | replace("'", "''") ~ "'" if row.get(column) is not none else 'null' }}
            as {{ dbt.type_string() }}) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
