{#
    Overrides four dbt-snowflake macros on the fakesnow emulator only: skips what it cannot run.

    Shims for fakesnow, the local Snowflake emulator CI builds the Snowflake target against
    (tests/python/test_emulated_sequence.py). Each one changes behaviour only when
    target.account == 'fakesnow' and otherwise calls dbt-snowflake's own macro, so on a real
    account the generated SQL is exactly dbt-snowflake's (plus the project's own overrides,
    macros/overrides). What they skip (temporary relations, comments, grants, access policies,
    explicit transactions) fakesnow cannot run; the Snowflake SQL for those is checked as
    generated instead: tests/python/test_security_snowflake_statements.py records every
    statement dbt-snowflake sends for the analytics views, setup_security and publishing, and
    test_snowflake_compile.py parses the compiled models.
#}
{% macro is_fakesnow() %}
    {{ return(target.type == 'snowflake' and target.account == 'fakesnow') }}
{% endmacro %}

{# fakesnow only accepts temporary tables in its "temp" catalog: use a transient table. #}
{% macro snowflake__create_table_temporary_sql(relation, compiled_code) -%}
    {%- if is_fakesnow() -%}
        {{ dbt.snowflake__create_table_transient_sql(relation, compiled_code) }}
    {%- else -%}
        {{ dbt.snowflake__create_table_temporary_sql(relation, compiled_code) }}
    {%- endif -%}
{%- endmacro %}

{#
    Views are never temporary on fakesnow either, and the analytics views get no policy clauses
    there: both in macros/overrides/snowflake__create_view_as_with_temp_flag.sql, the one
    override of that dbt-snowflake macro.
#}

{#
    fakesnow cannot parse column comments, and a relation comment with a quote in it breaks its
    metadata tables for the rest of the session.
#}
{% macro snowflake__persist_docs(relation, model, for_relation, for_columns) -%}
    {%- if not is_fakesnow() -%}
        {{ dbt.snowflake__persist_docs(relation, model, for_relation, for_columns) }}
    {%- endif -%}
{%- endmacro %}

{#
    Every incremental MERGE/INSERT passes through here. On fakesnow: no BEGIN/COMMIT
    around it (DML in an explicit transaction touches fakesnow's own metadata database and leaves
    the server failing every later request), and the MERGE's INSERT values qualified with the
    source alias (Snowflake resolves them to the source; DuckDB calls them ambiguous).
#}
{% macro snowflake_dml_explicit_transaction(dml) %}
    {%- if is_fakesnow() -%}
        {{ return(fakesnow_qualified_insert_values(dml)) }}
    {%- endif -%}
    {{ return(dbt.snowflake_dml_explicit_transaction(dml)) }}
{% endmacro %}

{% macro fakesnow_qualified_insert_values(dml) %}
    {%- set re = modules.re -%}
    {%- set found = re.search('then\\s+insert\\s*\\([^)]*\\)\\s*values\\s*\\(([^)]*)\\)', dml, re.I) -%}
    {%- if not found -%}
        {{ return(dml) }}
    {%- endif -%}
    {%- set qualified = [] -%}
    {%- for column in found.group(1).split(',') -%}
        {%- do qualified.append('DBT_INTERNAL_SOURCE.' ~ column | trim) -%}
    {%- endfor -%}
    {{ return(dml[:found.start(1)] ~ qualified | join(', ') ~ dml[found.end(1):]) }}
{% endmacro %}

{# fakesnow has no roles: GRANT does not parse. #}
{% macro snowflake__apply_grants(relation, grant_config, should_revoke=True) %}
    {%- if is_fakesnow() -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(dbt.default__apply_grants(relation, grant_config, should_revoke)) }}
{% endmacro %}
