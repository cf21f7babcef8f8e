{#
    Who is asking, and what they may see — one definition for both targets.

    Roles: DATA_ENGINEER and CRM_ANALYST see every row unmasked; SALES_LEADERSHIP sees only the
    rows of the regions its principal is entitled to (region_entitlements seed) with PII masked.
    On Snowflake the role comes from IS_ROLE_IN_SESSION (so inherited roles count) and the
    principal is CURRENT_USER(); the conditions become the bodies of the row access and masking
    policies (setup_security), which Snowflake enforces. A role without a grant gets no rows
    because it cannot select at all.

    On DuckDB, which has no roles or users, the analytics views apply the same conditions
    inline, reading the session variables analytics_role and analytics_user. Anyone holding the
    file can set those to anything, shadow getvariable, or read core and stage directly: on
    DuckDB this is a convenience filter for cooperative tools, not access control (docs/
    security.md). So that a mistake is loud rather than an empty result, every analytics view
    refuses to answer (analytics_session_check) unless the session names a known role, in any
    case, and SALES_LEADERSHIP also names a user with entitlements.
#}

{% macro has_analytics_role(role_name) -%}
    {{ return(adapter.dispatch('has_analytics_role', 'customer_analytics')(role_name)) }}
{%- endmacro %}

{% macro default__has_analytics_role(role_name) -%}
    is_role_in_session('{{ role_name }}')
{%- endmacro %}

{% macro duckdb__has_analytics_role(role_name) -%}
    coalesce({{ duckdb_session_value('analytics_role') }} = '{{ role_name }}', false)
{%- endmacro %}

{% macro analytics_principal() -%}
    {{ return(adapter.dispatch('analytics_principal', 'customer_analytics')()) }}
{%- endmacro %}

{% macro default__analytics_principal() -%}
    current_user()
{%- endmacro %}

{% macro duckdb__analytics_principal() -%}
    coalesce({{ duckdb_session_value('analytics_user') }}, '')
{%- endmacro %}

{#
    A DuckDB session variable as the rules compare it: text, trimmed, upper case (Snowflake role
    and user names are case-insensitive, and the seed stores principals upper case), NULL when
    unset or empty.
#}
{% macro duckdb_session_value(name) -%}
    nullif(upper(trim(cast(getvariable('{{ name }}') as varchar))), '')
{%- endmacro %}

{% macro analytics_roles() %}
    {{ return(['DATA_ENGINEER', 'CRM_ANALYST', 'SALES_LEADERSHIP']) }}
{% endmacro %}

{% macro sees_everything() -%}
    ({{ has_analytics_role('DATA_ENGINEER') }} or {{ has_analytics_role('CRM_ANALYST') }})
{%- endmacro %}

{# True for a row of the given region the asking principal may see. #}
{% macro region_visible(region_expr, entitlements) -%}
    (
        {{ sees_everything() }}
        or (
            {{ has_analytics_role('SALES_LEADERSHIP') }}
            and {{ region_expr }} in (
                select entitled.region from {{ entitlements }} as entitled
                where entitled.principal = {{ analytics_principal() }}
            )
        )
    )
{%- endmacro %}

{# The WHERE condition of a regional analytics view; on Snowflake the row access policy does it. #}
{% macro row_filter(region_expr) -%}
    {{ return(adapter.dispatch('row_filter', 'customer_analytics')(region_expr)) }}
{%- endmacro %}

{% macro default__row_filter(region_expr) -%}
    true
{%- endmacro %}

{% macro duckdb__row_filter(region_expr) -%}
    {{ analytics_session_check() }}
    and {{ region_visible(region_expr, ref('region_entitlements')) }}
{%- endmacro %}

{#
    The WHERE condition of a non-regional analytics view: on Snowflake the grants decide who
    reads it; on DuckDB the session must name a valid principal. A view for some roles only
    passes them as `readers`, the same list its grants name (analytics_readers), so that on
    DuckDB any other role gets an error naming the view and its readers.
#}
{% macro role_filter(readers=none) -%}
    {{ return(adapter.dispatch('role_filter', 'customer_analytics')(readers)) }}
{%- endmacro %}

{% macro default__role_filter(readers) -%}
    true
{%- endmacro %}

{% macro duckdb__role_filter(readers) -%}
    {{ analytics_session_check(readers) }}
{%- endmacro %}

{# The grants config of an analytics view that only `readers` may read. #}
{% macro analytics_readers(readers) %}
    {% for role in readers if role not in analytics_roles() %}
        {% do exceptions.raise_compiler_error(role ~ ' is not an analytics role') %}
    {% endfor %}
    {{ return({'select': readers}) }}
{% endmacro %}

{#
    DuckDB: true, or an error naming the variables to set. Two stages, so the error cannot be
    skipped however the query is planned, and fires once per query whether or not rows exist:

    - the role (and, for SALES_LEADERSHIP, that a user is named) is checked in the argument of
      range(): DuckDB evaluates a table function's arguments while binding the query, before any
      optimizer runs, so no plan exists for a query on a view with a missing or unknown role;
    - that the user has entitlements needs a table, so it is checked in an uncorrelated scalar
      subquery, which DuckDB runs once per query as its own pipeline, before and independently
      of the view's rows (tests/python/test_analytics_access.py proves it on views emptied of
      rows).
#}
{% macro analytics_session_check(readers=none) -%}
    {%- set role = duckdb_session_value('analytics_role') -%}
    {%- set user = duckdb_session_value('analytics_user') -%}
    {%- set roles = analytics_roles() -%}
    {#- The instruction inside a SQL string literal: its quotes doubled. -#}
    {%- set how = ("SET VARIABLE analytics_role = '" ~ roles | join("' | '")
        ~ "' (and analytics_user for SALES_LEADERSHIP)") | replace("'", "''") -%}
    (
        select
            case
                when
                    {{ has_analytics_role('SALES_LEADERSHIP') }}
                    and not exists (
                        select 1 from {{ ref('region_entitlements') }} as entitled
                        where entitled.principal = {{ analytics_principal() }}
                    )
                    then error(
                        'analytics_user ''' || {{ user }} || ''' has no region entitlements'
                        || ' (seeds/security/region_entitlements.csv), so SALES_LEADERSHIP would'
                        || ' see nothing: SET VARIABLE analytics_user to an entitled user'
                    )
                else true
            end
        from range(
            case
                when {{ role }} is null
                    then error('analytics_role is not set: {{ how }}')
                when {{ role }} not in ('{{ roles | join("', '") }}')
                    then error(
                        'analytics_role ''' || {{ role }} || ''' is not an analytics role: '
                        || '{{ how }}'
                    )
                {%- if readers %}
                when {{ role }} not in ('{{ readers | join("', '") }}')
                    then error(
                        'analytics_role ''' || {{ role }} || ''' may not read '
                        || '{{ this.identifier }}: it is for {{ readers | join(", ") }}'
                    )
                {%- endif %}
                when {{ role }} = 'SALES_LEADERSHIP' and {{ user }} is null
                    then error(
                        'analytics_user is not set: SALES_LEADERSHIP sees the regions of its'
                        || ' user; SET VARIABLE analytics_user = ''<user>'' (a principal of'
                        || ' seeds/security/region_entitlements.csv)'
                    )
                else 1
            end
        ) as session_checked
    )
{%- endmacro %}

{#
    A PII column as the asking principal may see it: text becomes '***MASKED***', other types
    NULL, so a column keeps its type. On Snowflake the masking policy does it.
#}
{% macro masked(column_expr, data_type='varchar') -%}
    {{ return(adapter.dispatch('masked', 'customer_analytics')(column_expr, data_type)) }}
{%- endmacro %}

{% macro default__masked(column_expr, data_type) -%}
    {{ column_expr }}
{%- endmacro %}

{% macro duckdb__masked(column_expr, data_type) -%}
    {{ masking_expression(column_expr, data_type) }}
{%- endmacro %}

{% macro masking_expression(column_expr, data_type) -%}
    case
        when {{ sees_everything() }} then {{ column_expr }}
        {%- if data_type == 'varchar' %}
        else '***MASKED***'
        {%- endif %}
    end
{%- endmacro %}
