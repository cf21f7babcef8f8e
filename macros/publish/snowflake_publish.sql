{#
    Write-audit-publish on Snowflake. Analysts read the published database (var
    published_database, default env SNOWFLAKE_PUBLISHED_DATABASE); dbt builds and tests in the
    target database, the audit database:

        dbt run-operation clone_published_for_audit
        dbt build
        dbt run-operation publish_audited_database

    The clone is zero-copy and makes incremental models and snapshots continue from what is
    published. Only a build that passed is swapped in, by one ALTER DATABASE ... SWAP WITH, so
    readers see the old or the new database whole; afterwards the audit database holds the
    previous state until the next clone replaces it. python -m customer_analytics.publish runs
    the three steps and stops after a failed build.
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
    {% if snowflake_database_exists(published) %}
        {% do run_query(swap_databases_sql(target.database, published)) %}
    {% else %}
        {% do run_query('alter database ' ~ target.database ~ ' rename to ' ~ published) %}
    {% endif %}
    {% do log('Published ' ~ target.database ~ ' as ' ~ published, info=true) %}
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

{% macro snowflake_database_exists(database) %}
    {% set found = run_query("show databases like '" ~ database ~ "'") %}
    {{ return(found.rows | length > 0) }}
{% endmacro %}
