{#
    Write-audit-publish on Snowflake. Analysts read the published database (var
    published_database, default env SNOWFLAKE_PUBLISHED_DATABASE); dbt builds and tests in the
    target database, the audit database:

        dbt run-operation clone_published_for_audit
        dbt build
        dbt run-operation publish_audited_database

    The clone is zero-copy and makes incremental models and history continue from what is
    published. Only a build that passed is swapped in, by one ALTER DATABASE ... SWAP WITH, so
    readers see the old or the new database whole; afterwards the audit database holds the
    previous state until the next clone replaces it. python -m customer_analytics.publish runs
    the three steps and stops after a failed build.

    Who may use which database. Grants stay with the object they were made on, and a swap only
    exchanges names, so:
    - grants on schemas, tables and views travel with the database (dbt's grants and the
      schema USAGE were made in the audit database before the swap, and a clone copies the
      grants on its child objects); they give nothing without USAGE on the database itself;
    - USAGE on a database stays with the database object: after a swap, the database now called
      published has none for the analyst roles, and the one now called audit (the previous
      published state) still has it. publish_audited_database therefore revokes it from the
      one and grants it on the other, right after the swap;
    - a clone (create or replace database ... clone) carries no grants on the database itself,
      so the audit database dbt builds and tests in never starts with analyst USAGE.
    What remains (docs/security.md): between the swap and the grants, analysts cannot use the
    published database (a few statements; queries fail, nothing leaks); between the swap and
    the revokes, the analyst roles keep USAGE on the database now called audit, which holds
    exactly the state they could read a moment before.
#}
{% macro clone_published_for_audit() %}
    {% set published = published_database() %}
    {% if snowflake_database_exists(published) %}
        {% do run_query(clone_database_sql(published, target.database)) %}
    {% else %}
        {% do run_query('create database if not exists ' ~ target.database) %}
    {% endif %}
    {% do log('Audit database ' ~ target.database ~ ' now starts from ' ~ published, info=true) %}
{% endmacro %}

{% macro publish_audited_database() %}
    {% set published = published_database() %}
    {% for statement in publish_statements(target.database, published, snowflake_database_exists(published)) %}
        {% do log(statement, info=true) %}
        {% do run_query(statement) %}
    {% endfor %}
    {% do log('Published ' ~ target.database ~ ' as ' ~ published, info=true) %}
{% endmacro %}

{#
    The swap (or, the first time, the rename), then the database USAGE moved to the database now
    published: revoked from the one now called audit first, so that window is the shorter;
    schema USAGE re-granted before database USAGE, in case the published schemas are new.
#}
{% macro publish_statements(audit_database, published, published_exists) %}
    {%- set statements = [] -%}
    {%- if published_exists %}
        {%- do statements.append(swap_databases_sql(audit_database, published)) %}
        {%- for role in analyst_roles() %}
            {%- do statements.append('revoke usage on database ' ~ audit_database ~ ' from role ' ~ role) %}
        {%- endfor %}
    {%- else %}
        {%- do statements.append('alter database ' ~ audit_database ~ ' rename to ' ~ published) %}
    {%- endif %}
    {%- do statements.extend(published_usage_statements(published)) %}
    {{ return(statements) }}
{% endmacro %}

{% macro clone_database_sql(source_database, clone_database) -%}
    create or replace database {{ clone_database }} clone {{ source_database }}
{%- endmacro %}

{% macro swap_databases_sql(audit_database, published) -%}
    alter database {{ audit_database }} swap with {{ published }}
{%- endmacro %}

{% macro published_database() %}
    {% if target.type != 'snowflake' %}
        {% do exceptions.raise_compiler_error(
            'Database publishing is for Snowflake; on DuckDB run python -m customer_analytics.publish'
        ) %}
    {% endif %}
    {% set published = var('published_database', env_var('SNOWFLAKE_PUBLISHED_DATABASE', '')) %}
    {% if not published or published | upper == target.database | upper %}
        {% do exceptions.raise_compiler_error(
            'Set SNOWFLAKE_PUBLISHED_DATABASE (or var published_database) to the database analysts'
            ~ ' read; it must differ from the'
            ~ ' target database (' ~ target.database ~ '), where dbt builds and audits.'
        ) %}
    {% endif %}
    {{ return(published) }}
{% endmacro %}

{#
    SHOW ... LIKE is a case-insensitive pattern in which _ matches any character, so the rows
    are compared with the name as well.
#}
{% macro snowflake_database_exists(database) %}
    {% set found = run_query("show databases like '" ~ database ~ "'") %}
    {% set names = found.columns['name'].values() | map('upper') | list if 'name' in found.column_names else [] %}
    {{ return(database | upper in names) }}
{% endmacro %}
