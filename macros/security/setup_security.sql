{#
    Snowflake only, run once per environment by an administrator (SECURITYADMIN or a role with
    CREATE ROLE and policy privileges), and again when access rules change:

        dbt run-operation setup_security --target snowflake

    Creates the three roles, lets them use the database and their schemas, and creates the
    row access policy (region_access) and masking policies (pii_mask_varchar, pii_mask_date)
    whose bodies are the same conditions the DuckDB views apply inline (macros/security/
    access.sql). The analytics views attach them on every build (attach_access_policies);
    dbt `grants` give each role SELECT on its schemas.
#}
{% macro setup_security() %}
    {% if target.type != 'snowflake' %}
        {{ exceptions.raise_compiler_error(
            "setup_security is for Snowflake; on DuckDB the analytics views apply access rules inline."
        ) }}
    {% endif %}
    {% for statement in security_statements() %}
        {% do log(statement.split('\n')[0], info=true) %}
        {% do run_query(statement) %}
    {% endfor %}
{% endmacro %}

{% macro security_statements() %}
    {%- set database = target.database -%}
    {%- set analytics = database ~ '.' ~ generate_schema_name('analytics', none) -%}
    {%- set core = database ~ '.' ~ generate_schema_name('core', none) -%}
    {%- set entitlements = ref('region_entitlements') -%}
    {%- set statements = [] -%}
    {%- for role in ['DATA_ENGINEER', 'CRM_ANALYST', 'SALES_LEADERSHIP'] %}
        {%- do statements.append('create role if not exists ' ~ role) %}
        {%- do statements.append('grant usage on database ' ~ database ~ ' to role ' ~ role) %}
        {%- do statements.append('grant usage on schema ' ~ analytics ~ ' to role ' ~ role) %}
    {%- endfor %}
    {%- for role in ['DATA_ENGINEER', 'CRM_ANALYST'] %}
        {%- do statements.append('grant usage on schema ' ~ core ~ ' to role ' ~ role) %}
    {%- endfor %}
    {%- do statements.append(
        'create row access policy if not exists ' ~ analytics ~ '.region_access'
        ~ ' as (region varchar) returns boolean -> true'
    ) %}
    {%- do statements.append(
        'alter row access policy ' ~ analytics ~ '.region_access set body -> '
        ~ region_visible('region', entitlements)
    ) %}
    {%- for data_type in ['varchar', 'date'] %}
        {%- set policy = analytics ~ '.pii_mask_' ~ data_type %}
        {%- do statements.append(
            'create masking policy if not exists ' ~ policy ~ ' as (value ' ~ data_type
            ~ ') returns ' ~ data_type ~ ' -> value'
        ) %}
        {%- do statements.append(
            'alter masking policy ' ~ policy ~ ' set body -> ' ~ masking_expression('value', data_type)
        ) %}
    {%- endfor %}
    {{ return(statements) }}
{% endmacro %}

{#
    Post-hook of every analytics view: on Snowflake, attach the row access policy to the view's
    region column and the masking policies to its PII columns (meta: region_column,
    pii_columns). A replaced view loses its policies, so this runs on each build. Elsewhere a
    no-op statement.
#}
{% macro attach_access_policies() %}
    {{ return(adapter.dispatch('attach_access_policies', 'customer_analytics')()) }}
{% endmacro %}

{% macro default__attach_access_policies() %}
    select 1 as no_policies_outside_snowflake
{% endmacro %}

{% macro snowflake__attach_access_policies() %}
    {#- fakesnow has no policies; their SQL is checked on compiled output. -#}
    {%- if not execute or is_fakesnow() %}{{ return('select 1') }}{% endif -%}
    {%- set meta = config.get('meta') or {} -%}
    {%- set policies = this.database ~ '.' ~ this.schema -%}
    {%- set statements = [] -%}
    {%- if meta.get('region_column') %}
        {%- do statements.append(
            'alter view ' ~ this ~ ' add row access policy ' ~ policies
            ~ '.region_access on (' ~ meta['region_column'] ~ ')'
        ) %}
    {%- endif %}
    {%- for column, data_type in meta.get('pii_columns', {}).items() %}
        {%- do statements.append(
            'alter view ' ~ this ~ ' modify column ' ~ column ~ ' set masking policy '
            ~ policies ~ '.pii_mask_' ~ data_type
        ) %}
    {%- endfor %}
    {%- if statements %}{{ statements | join(';\n') }}{% else %}select 1 as no_policies_needed{% endif %}
{% endmacro %}
