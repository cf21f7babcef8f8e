{#
    Run at the start of every dbt invocation (on-run-start). Compares the header of each raw
    relation with the raw file contract and stops the run with a message naming the file and the
    missing columns. Without it, a file with the wrong delimiter or a renamed column fails later
    with a binder error deep inside a staging model. Extra columns are allowed and ignored.
    Commands that read no raw rows (compile, docs generate, run-operation) skip it, so the
    project compiles offline for Snowflake.
#}
{% macro check_raw_file_contract() %}
    {% if execute and flags.WHICH in ['build', 'run', 'test', 'seed', 'snapshot'] %}
        {% set contract = raw_file_contract() %}
        {% for table_name, columns in contract.items() %}
            {% do check_source_documents_contract(table_name, columns) %}
            {% set relation = source('crm', table_name) %}
            {% set found = raw_relation_columns(relation) | map('lower') | list %}
            {% set missing = [] %}
            {% for column_name in columns if column_name not in found %}
                {% do missing.append(column_name) %}
            {% endfor %}
            {% if missing %}
                {% do exceptions.raise_compiler_error(
                    raw_contract_message(table_name, relation, columns, missing, found)
                ) %}
            {% endif %}
        {% endfor %}
    {% endif %}
{% endmacro %}

{% macro check_source_documents_contract(table_name, columns) %}
    {% for source_node in graph.sources.values()
        if source_node.package_name == project_name
        and source_node.source_name == 'crm' and source_node.name == table_name %}
        {% set documented = source_node.columns.keys() | list %}
        {% if documented != columns %}
            {% do exceptions.raise_compiler_error(
                'Source crm.' ~ table_name ~ ' documents columns ' ~ documented | join(',')
                ~ ' but the raw file contract (macro raw_file_contract) says ' ~ columns | join(',')
            ) %}
        {% endif %}
    {% endfor %}
{% endmacro %}

{% macro raw_contract_message(table_name, relation, columns, missing, found) %}
    {%- set location = modules.re.search("'([^']+)'", relation | string) -%}
    {%- set where = location.group(1) if location else relation | string -%}
    {%- set hint = '' -%}
    {%- if found | length == 0 -%}
        {%- set hint = ' It does not exist or has no columns; on Snowflake load it with'
            ~ ' dbt run-operation load_raw_from_stage.' -%}
    {%- elif found | length == 1 -%}
        {%- set hint = ' The file is empty, has no header row, or is not comma-delimited'
            ~ ' (found a single column ' ~ (found | first | default('') | tojson) ~ ').' -%}
    {%- endif -%}
    {{- 'Raw file contract violated: ' ~ where ~ ' (source crm.' ~ table_name
        ~ ') is missing column(s): ' ~ missing | join(', ') ~ '.' ~ hint
        ~ ' Expected header: ' ~ columns | join(',') -}}
{% endmacro %}

{# Column names of a raw relation, in file order. #}
{% macro raw_relation_columns(relation) %}
    {{ return(adapter.dispatch('raw_relation_columns', 'customer_analytics')(relation)) }}
{% endmacro %}

{% macro default__raw_relation_columns(relation) %}
    {{ return(adapter.get_columns_in_relation(relation) | map(attribute='name') | list) }}
{% endmacro %}

{# On DuckDB a raw source is a read_csv(...) expression, which describe can inspect. #}
{% macro duckdb__raw_relation_columns(relation) %}
    {% set described = run_query('describe select * from ' ~ relation) %}
    {{ return(described.columns[0].values() | list) }}
{% endmacro %}
