{#
    Run at the start of every dbt invocation (on-run-start). Reads the header and the first lines
    of each raw file and stops the run, with a message naming the file and the problem, when the
    file is missing or empty, its header is not comma-delimited, lacks a contract column or names
    one twice, it has no data rows, or one of its first lines has more or fewer fields than the
    header. Without it, a wrong delimiter fails later with a binder error deep inside a staging
    model, and a duplicated column is read silently from its first copy. Extra named columns are
    allowed and ignored. What only a full read can find (bytes that are not UTF-8, an unterminated
    quote, a row with the wrong number of fields further down) fails the first model reading the
    file, with the reader's message naming file and line.
    Commands that read no raw rows (compile, docs generate, run-operation) skip it, so the
    project compiles offline for Snowflake.
#}
{% macro check_raw_file_contract() %}
    {% if execute and flags.WHICH in ['build', 'run', 'test', 'seed', 'snapshot'] %}
        {% for table_name, columns in raw_file_contract().items() %}
            {% do check_source_documents_contract(table_name, columns) %}
            {% set relation = source('crm', table_name) %}
            {% set location = raw_file_location(relation) %}
            {% set profile = raw_file_profile(relation, table_name) %}
            {% do check_raw_header(table_name, location, columns, profile.header) %}
            {% do check_raw_file_shape(table_name, location, profile) %}
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
    The header must hold every contract column exactly once, comma-delimited. Shared by the DuckDB
    run-start check and the Snowflake stage load (load_raw_from_stage), so both say the same.
#}
{% macro check_raw_header(table_name, location, columns, header) %}
    {% set subject = 'Raw file contract violated: ' ~ location ~ ' (source crm.' ~ table_name ~ ')' %}
    {% set names = raw_header_names(header) %}
    {% set missing = [] %}
    {% for column_name in columns if column_name not in names %}
        {% do missing.append(column_name) %}
    {% endfor %}
    {% if missing %}
        {% set delimiter = raw_header_delimiter(header, columns) %}
        {% if delimiter != ',' %}
            {% do exceptions.raise_compiler_error(
                subject ~ ' is not comma-delimited: the header looks '
                ~ ('tab' if delimiter == '\t' else "'" ~ delimiter ~ "'")
                ~ '-delimited; the contract is comma-delimited. Read with commas, it is missing'
                ~ ' column(s): ' ~ missing | join(', ') ~ '. Save the file with commas between'
                ~ ' fields and "double quotes" around values that contain one.'
            ) %}
        {% endif %}
        {% do exceptions.raise_compiler_error(
            raw_contract_message(table_name, location, columns, missing, header)
        ) %}
    {% endif %}
    {% set duplicated = [] %}
    {% for column_name in columns %}
        {% set positions = [] %}
        {% for name in names %}
            {% if name == column_name %}{% do positions.append(loop.index | string) %}{% endif %}
        {% endfor %}
        {% if positions | length > 1 %}
            {% do duplicated.append(column_name ~ ' (columns ' ~ positions | join(' and ') ~ ')') %}
        {% endif %}
    {% endfor %}
    {% if duplicated %}
        {% do exceptions.raise_compiler_error(
            subject ~ ' has duplicated column(s) in its header: ' ~ duplicated | join(', ')
            ~ '. The reader would take the first copy and ignore the others; remove the extra'
            ~ ' column(s).'
        ) %}
    {% endif %}
{% endmacro %}

{# Header names as the reader binds them: trimmed, and case-insensitive. #}
{% macro raw_header_names(header) %}
    {% set names = [] %}
    {% for name in header %}
        {% do names.append((name or '').strip().strip('"').strip().lower()) %}
    {% endfor %}
    {{ return(names) }}
{% endmacro %}

{#
    The delimiter that splits the header into the most contract columns, ',' unless another
    does better. Read with commas, a ';'- or tab-delimited header is one long name, so the
    header's cells joined back with commas are its original text.
#}
{% macro raw_header_delimiter(header, columns) %}
    {% set text = header | join(',') %}
    {% set best = {'delimiter': ',', 'found': raw_header_matches(header, columns)} %}
    {% for delimiter in [';', '\t', '|'] %}
        {% set found = raw_header_matches(text.split(delimiter), columns) %}
        {% if found > best.found %}
            {% do best.update({'delimiter': delimiter, 'found': found}) %}
        {% endif %}
    {% endfor %}
    {{ return(best.delimiter) }}
{% endmacro %}

{% macro raw_header_matches(header, columns) %}
    {% set names = raw_header_names(header) %}
    {{ return(columns | select('in', names) | list | length) }}
{% endmacro %}

{#
    An empty delivery of a file that is re-delivered in full would empty the warehouse, so it
    stops the run. A row with more fields than the header (most likely a value with an unquoted
    comma) would shift its values into the wrong columns, one with fewer (a cut-off line) would be
    padded with NULLs; both stop the run wherever they are: here among the first 20,480 lines,
    where the reader's sniffer would fail without naming the line, and in the staging read (no
    null padding) further down, whose message names file and line.
#}
{% macro check_raw_file_shape(table_name, location, profile) %}
    {% set subject = 'Raw file ' ~ location ~ ' (source crm.' ~ table_name ~ ')' %}
    {% if profile.lines == 1 %}
        {% do exceptions.raise_compiler_error(
            subject ~ ' has a header but no data rows. Every delivery is the whole file, so an'
            ~ ' empty one would empty the warehouse; refusing to build.'
        ) %}
    {% endif %}
    {% set irregular = profile.irregular %}
    {% if irregular %}
        {% set width = profile.header | length %}
        {% set problem = (
            'more fields than its header (' ~ irregular.fields ~ ' instead of ' ~ width
            ~ '): a value with an unquoted comma? Quote it or fix the row'
        ) if irregular.fields > width else (
            'fewer fields than its header (' ~ irregular.fields ~ ' instead of ' ~ width
            ~ '): a cut-off row? Complete or remove it'
        ) %}
        {% do exceptions.raise_compiler_error(
            subject ~ ' line ' ~ irregular.line ~ ' has ' ~ problem ~ '. The line reads: '
            ~ irregular.text[:300]
        ) %}
    {% endif %}
{% endmacro %}

{% macro raw_contract_message(table_name, location, columns, missing, found) %}
    {%- set hint = '' -%}
    {%- if found | length == 0 -%}
        {%- set hint = ' It does not exist or has no columns; on Snowflake load it with'
            ~ ' dbt run-operation load_raw_from_stage.' -%}
    {%- elif found | length == 1 -%}
        {%- set hint = ' The file is empty, has no header row, or is not comma-delimited'
            ~ ' (found a single column ' ~ (found | first | default('') | tojson) ~ ').' -%}
    {%- endif -%}
    {{- 'Raw file contract violated: ' ~ location ~ ' (source crm.' ~ table_name
        ~ ') is missing column(s): ' ~ missing | join(', ') ~ '.' ~ hint
        ~ ' Expected header: ' ~ columns | join(',') -}}
{% endmacro %}

{#
    What the run-start check needs to know about a raw relation: its header (names in file
    order), how many lines it read (1: a header only) and the first line whose field count
    differs from the header's (none if there is none), with its text.
#}
{% macro raw_file_profile(relation, table_name) %}
    {{ return(adapter.dispatch('raw_file_profile', 'customer_analytics')(relation, table_name)) }}
{% endmacro %}

{# A table (Snowflake RAW, loaded by load_raw_from_stage): its columns; rows are whole already. #}
{% macro default__raw_file_profile(relation, table_name) %}
    {% set header = adapter.get_columns_in_relation(relation) | map(attribute='name') | list %}
    {% set data_rows = run_query('select 1 from ' ~ relation ~ ' limit 1').rows | length
        if header else 0 %}
    {{ return({'header': header, 'lines': 1 + data_rows, 'irregular': none}) }}
{% endmacro %}

{#
    On DuckDB a raw source is a CSV file read in place. The file is read here without a header
    and with room for up to 64 fields, so each line's own field count shows: empty values read
    as '' (no value is the record separator chr(30)), and only the padding of a short line reads
    as NULL. Lines beyond the first 20,480 (ten times what the reader's type sniffer samples) are
    left to the staging read, which stops on the first irregular line with its number.
#}
{% macro duckdb__raw_file_profile(relation, table_name) %}
    {% set path = raw_file_path(relation) %}
    {% if path is none %}
        {{ return(default__raw_file_profile(relation, table_name)) }}
    {% endif %}
    {% set file = sql_text_literal(path) %}
    {% if run_query('select count(*) from glob(' ~ file ~ ')').columns[0].values()[0] == 0 %}
        {% do exceptions.raise_compiler_error(
            'Raw file ' ~ path ~ ' (source crm.' ~ table_name ~ ') does not exist. Put '
            ~ table_name ~ '.csv in the directory var raw_data_dir names.'
        ) %}
    {% endif %}
    {% set fields = [] %}
    {% for position in range(1, 65) %}
        {% do fields.append("'field_" ~ position ~ "': 'varchar'") %}
    {% endfor %}
    {% set sample_query %}
        with

        lines as (
            select
                ordinality as line_number,
                [*columns(* exclude (ordinality))] as fields
            from read_csv(
                {{ file }},
                header = false,
                auto_detect = false,
                parallel = false,
                columns = {{ '{' ~ fields | join(', ') ~ '}' }},
                delim = ',',
                quote = '"',
                escape = '"',
                null_padding = true,
                nullstr = chr(30)
            ) with ordinality
            limit 20480
        ),

        counted as (
            select
                line_number,
                fields,
                list_count(fields) as field_count
            from lines
        ),

        header as (
            select * from counted
            where line_number = 1
        ),

        irregular as (
            select counted.*
            from counted
            cross join header
            where counted.line_number > 1 and counted.field_count != header.field_count
            order by counted.line_number
            limit 1
        )

        select
            (select count(*) from counted) as line_count,
            (select array_to_string(fields[1:field_count], chr(31)) from header) as header_text,
            (select line_number from irregular) as irregular_line,
            (select field_count from irregular) as irregular_fields,
            (select array_to_string(fields[1:field_count], ',') from irregular) as irregular_text
    {% endset %}
    {% set sample = run_query(sample_query).rows[0] %}
    {% if sample['line_count'] == 0 %}
        {% do exceptions.raise_compiler_error(
            'Raw file ' ~ path ~ ' (source crm.' ~ table_name ~ ') is empty: not even a header row.'
        ) %}
    {% endif %}
    {{ return({
        'header': sample['header_text'].split('\x1f') if sample['header_text'] is not none else [],
        'lines': sample['line_count'],
        'irregular': none if sample['irregular_line'] is none else {
            'line': sample['irregular_line'],
            'fields': sample['irregular_fields'],
            'text': sample['irregular_text'],
        },
    }) }}
{% endmacro %}
