{#
    Snowflake only. An administrator runs it once per environment, before the first build, and
    again whenever the access rules (macros/security/access.sql) change:

        dbt run-operation setup_security --target snowflake

    The role it runs as needs CREATE ROLE, MANAGE GRANTS, and CREATE SCHEMA / CREATE ROW ACCESS
    POLICY / CREATE MASKING POLICY in the environment's databases (docs/security.md).

    In order, so that nothing is ever granted before the rules that guard it exist:
    1. the three roles;
    2. in each database of the environment that exists — the audit database dbt builds in
       (target.database) and the published one analysts read (published_database()) — the row
       access policy region_access and the masking policies pii_mask_varchar / pii_mask_date,
       created with their real bodies (never an open body altered later), then set to the
       current body (how a rule change reaches a policy that exists: alter ... set body), then
       APPLY on them for DATA_ENGINEER, whose builds attach them in each analytics view's
       CREATE (macros/overrides/snowflake__create_view_as_with_temp_flag.sql);
    3. USAGE on the published database and its schemas for the analyst roles;
    4. no USAGE on the audit database for any analyst role: revoked, in case an older version
       of this macro granted it. Only publish_audited_database moves database USAGE, after
       each swap (macros/publish/snowflake_publish.sql).

    A rule change therefore takes effect for analysts at once (the published database's
    policies), and every later build inherits it: the audit database starts each run as a
    clone of the published one, policies included.
#}
{% macro setup_security() %}
    {% if target.type != 'snowflake' %}
        {% do exceptions.raise_compiler_error(
            "setup_security is for Snowflake; on DuckDB nothing can be enforced on a file its holder"
            ~ " can open (docs/security.md)."
        ) %}
    {% endif %}
    {% set databases = environment_databases() %}
    {% if not databases['audit'] and not databases['published'] %}
        {% do exceptions.raise_compiler_error(
            "setup_security: neither " ~ target.database ~ " nor the published database exists; run"
            ~ " `dbt run-operation clone_published_for_audit` as dbt's role first (it creates the"
            ~ " audit database), then setup_security."
        ) %}
    {% endif %}
    {% for statement in security_statements(databases['audit'], databases['published']) %}
        {% do log(statement.split('\n')[0], info=true) %}
        {% do run_query(statement) %}
    {% endfor %}
{% endmacro %}

{#
    The environment's databases that exist: {'audit': name or none, 'published': name or none}.
    The published database must be configured (published_database() stops otherwise): granting
    analysts USAGE on whatever the target database is would, in a write-audit-publish
    environment, hand them the audit database.
#}
{% macro environment_databases() %}
    {% set published = published_database() %}
    {{ return({
        'audit': target.database if snowflake_database_exists(target.database) else none,
        'published': published if snowflake_database_exists(published) else none,
    }) }}
{% endmacro %}

{% macro analyst_roles() %}
    {{ return(['CRM_ANALYST', 'SALES_LEADERSHIP']) }}
{% endmacro %}

{# Which analyst roles may use which schema of the published database. #}
{% macro analyst_schema_usage() %}
    {{ return({
        generate_schema_name('analytics', none): ['CRM_ANALYST', 'SALES_LEADERSHIP'],
        generate_schema_name('core', none): ['CRM_ANALYST'],
    }) }}
{% endmacro %}

{# A policy's full name: policies live beside the analytics views, in each database. #}
{% macro access_policy_name(database, policy) -%}
    {{ database }}.{{ generate_schema_name('analytics', none) }}.{{ policy }}
{%- endmacro %}

{% macro security_statements(audit_database, published_database) %}
    {%- set statements = [] -%}
    {%- for role in analytics_roles() %}
        {%- do statements.append('create role if not exists ' ~ role) %}
    {%- endfor %}
    {%- set databases = [audit_database, published_database] | select | list %}
    {%- for database in databases %}
        {%- do statements.extend(policy_statements(database)) %}
    {%- endfor %}
    {%- for database in databases %}
        {%- do statements.extend(policy_apply_statements(database)) %}
    {%- endfor %}
    {%- if published_database %}
        {%- do statements.extend(published_usage_statements(published_database)) %}
    {%- endif %}
    {%- if audit_database %}
        {%- for role in analyst_roles() %}
            {%- do statements.append('revoke usage on database ' ~ audit_database ~ ' from role ' ~ role) %}
        {%- endfor %}
    {%- endif %}
    {{ return(statements) }}
{% endmacro %}

{#
    The policies of one database, each created with its real body; the rules are the ones the
    DuckDB views apply inline (macros/security/access.sql). The entitlements table is named
    without its database, like every ref on Snowflake (macros/overrides/ref.sql), so
    each database's policy reads that database's entitlements.
#}
{% macro policy_statements(database) %}
    {%- set statements = [] -%}
    {%- do statements.append(
        'create schema if not exists ' ~ database ~ '.' ~ generate_schema_name('analytics', none)
    ) %}
    {%- set region_policy = access_policy_name(database, 'region_access') %}
    {%- set region_body = region_visible('region', ref('region_entitlements')) %}
    {%- do statements.append(
        'create row access policy if not exists ' ~ region_policy
        ~ ' as (region varchar) returns boolean -> ' ~ region_body
    ) %}
    {%- do statements.append('alter row access policy ' ~ region_policy ~ ' set body -> ' ~ region_body) %}
    {%- for data_type in ['varchar', 'date'] %}
        {%- set policy = access_policy_name(database, 'pii_mask_' ~ data_type) %}
        {%- set body = masking_expression('value', data_type) %}
        {%- do statements.append(
            'create masking policy if not exists ' ~ policy ~ ' as (value ' ~ data_type
            ~ ') returns ' ~ data_type ~ ' -> ' ~ body
        ) %}
        {%- do statements.append('alter masking policy ' ~ policy ~ ' set body -> ' ~ body) %}
    {%- endfor %}
    {{ return(statements) }}
{% endmacro %}

{# dbt's role attaches the policies in each analytics view's CREATE, which needs APPLY on them. #}
{% macro policy_apply_statements(database) %}
    {%- set statements = [] -%}
    {%- do statements.append(
        'grant apply on row access policy ' ~ access_policy_name(database, 'region_access')
        ~ ' to role DATA_ENGINEER'
    ) %}
    {%- for data_type in ['varchar', 'date'] %}
        {%- do statements.append(
            'grant apply on masking policy ' ~ access_policy_name(database, 'pii_mask_' ~ data_type)
            ~ ' to role DATA_ENGINEER'
        ) %}
    {%- endfor %}
    {{ return(statements) }}
{% endmacro %}

{#
    USAGE for the analyst roles on the published database: its schemas first, the database
    last, so a role that can use the database finds everything in place. dbt grants SELECT on
    the models themselves (dbt_project.yml grants).
#}
{% macro published_usage_statements(published_database) %}
    {%- set statements = [] -%}
    {%- for schema, roles in analyst_schema_usage().items() %}
        {%- for role in roles %}
            {%- do statements.append(
                'grant usage on schema ' ~ published_database ~ '.' ~ schema ~ ' to role ' ~ role
            ) %}
        {%- endfor %}
    {%- endfor %}
    {%- for role in analyst_roles() %}
        {%- do statements.append('grant usage on database ' ~ published_database ~ ' to role ' ~ role) %}
    {%- endfor %}
    {{ return(statements) }}
{% endmacro %}
