{#
    On DuckDB a raw source is the expression read_csv('<path>', ...) from the sources YAML, which
    doubles every ' in var raw_data_dir so that a directory such as /data/o'brien/ stays one SQL
    string. Macros that need the path itself (to name the file in a message, to glob for it, to
    read it with other options) take it back out here, undoing the doubling, and paste it into
    SQL again only through sql_text_literal.
#}

{# The file path of a read_csv(...) relation, or none for a relation that is a table. #}
{% macro raw_file_path(relation) %}
    {%- set found = modules.re.search("read_csv\\('((?:[^']|'')*)'", relation | string) -%}
    {{- return(found.group(1).replace("''", "'") if found else none) -}}
{% endmacro %}

{# Where a raw relation lives, for messages: its file path, else the relation's name. #}
{% macro raw_file_location(relation) %}
    {{- return(raw_file_path(relation) or relation | string) -}}
{% endmacro %}

{# A text value as a SQL string literal. #}
{% macro sql_text_literal(value) %}
    {{- return("'" ~ (value | string).replace("'", "''") ~ "'") -}}
{% endmacro %}
