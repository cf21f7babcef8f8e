{#
    Whether an optional raw source can be read: on DuckDB, whether its file exists; elsewhere,
    whether its table exists. Only meaningful at execution time (returns false while parsing).
    With var('offline') it assumes the source exists, so an offline compile covers the full SQL.
#}
{% macro source_exists(source_name, table_name) %}
    {% if not execute %}
        {{ return(false) }}
    {% elif var('offline') %}
        {{ return(true) }}
    {% endif %}
    {{ return(adapter.dispatch('source_exists', 'customer_analytics')(source(source_name, table_name))) }}
{% endmacro %}

{% macro default__source_exists(relation) %}
    {{ return(adapter.get_relation(relation.database, relation.schema, relation.identifier) is not none) }}
{% endmacro %}

{% macro duckdb__source_exists(relation) %}
    {% set path = raw_file_path(relation) %}
    {% if path is none %}
        {{ return(adapter.get_relation(relation.database, relation.schema, relation.identifier) is not none) }}
    {% endif %}
    {% set found = run_query('select count(*) from glob(' ~ sql_text_literal(path) ~ ')') %}
    {{ return(found.columns[0].values()[0] > 0) }}
{% endmacro %}

{#
    The source relation when it exists, else an empty relation with the given text columns, so a
    model over an optional input compiles and builds either way. source() is called either way:
    while parsing, that call is what puts the source in the lineage (and in state:modified).
#}
{% macro optional_source(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if source_exists(source_name, table_name) -%}
        {{ relation }}
    {%- else -%}
        (
            select
            {%- for column in columns %}
                cast(null as {{ dbt.type_string() }}) as {{ column }}{{ ',' if not loop.last }}
            {%- endfor %}
            where 1 = 0
        )
    {%- endif -%}
{%- endmacro %}
