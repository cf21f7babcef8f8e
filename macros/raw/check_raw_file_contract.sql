{#
    Run at the start of every dbt invocation (on-run-start). Compares the header of each raw
    relation with the raw file contract and stops the run with a message naming the file and the
    missing columns. Without it, a file with the wrong delimiter or a renamed column fails later
    with a binder error deep inside a staging model. Extra named columns are allowed and ignored;
    rows with more fields than the header and files without data rows stop the run too
    (check_raw_file_shape). Problems only a full read can find (bytes that are not UTF-8, an
    unterminated quote, a stray field beyond the reader's sample) fail the first model reading
    the file, with the reader's message naming file and line.
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
            {% do check_raw_file_shape(table_name, relation, found) %}
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

{#
    A DuckDB reader names a column it had to invent for fields beyond the header column<N>, N
    its position: some row has more fields than the header, most likely a value with an unquoted
    comma, whose fields would otherwise shift silently. An empty delivery of a file that is
    re-delivered in full would empty the warehouse, so it stops the run instead.
#}
{% macro check_raw_file_shape(table_name, relation, found) %}
    {% set where = raw_file_location(relation) %}
    {% for column_name in found %}
        {% if column_name == 'column' ~ loop.index0 %}
            {% do exceptions.raise_compiler_error(
                'Raw file ' ~ where ~ ' (source crm.' ~ table_name ~ ') has rows with more'
                ~ ' fields than its header (the reader found an unnamed column at position '
                ~ loop.index0 ~ '): a value with an unquoted comma? Quote it or fix the row.'
            ) %}
        {% endif %}
    {% endfor %}
    {% set first_row = run_query('select 1 from ' ~ relation ~ ' limit 1') %}
    {% if first_row.rows | length == 0 %}
        {% do exceptions.raise_compiler_error(
            'Raw file ' ~ where ~ ' (source crm.' ~ table_name ~ ') has a header but no data'
            ~ ' rows. Every delivery is the whole file, so an empty one would empty the'
            ~ ' warehouse; refusing to build.'
        ) %}
    {% endif %}
{% endmacro %}

{# The file path inside a DuckDB read_csv(...) source, else the relation's name. #}
{% macro raw_file_location(relation) %}
    {%- set location = modules.re.search("'([^']+)'", relation | string) -%}
    {{- return(location.group(1) if location else relation | string) -}}
{% endmacro %}

{% macro raw_contract_message(table_name, relation, columns, missing, found) %}
    {%- set where = raw_file_location(relation) -%}
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
