{#
    Who is asking, and what they may see — one definition for both targets.

    Roles: DATA_ENGINEER and CRM_ANALYST see every row unmasked; SALES_LEADERSHIP sees only the
    rows of the regions its principal is entitled to (region_entitlements seed) with PII masked;
    anyone else sees nothing. On Snowflake the role comes from IS_ROLE_IN_SESSION (so inherited
    roles count) and the principal is CURRENT_USER(); on DuckDB, which has no roles, from the
    session variables analytics_role and analytics_user (SET VARIABLE analytics_role = '…').

    On Snowflake the same conditions become the bodies of the row access and masking policies
    (setup_security); on DuckDB the analytics views apply them inline (row_filter, masked).
#}

{% macro has_analytics_role(role_name) -%}
    {{ return(adapter.dispatch('has_analytics_role', 'customer_analytics')(role_name)) }}
{%- endmacro %}

{% macro default__has_analytics_role(role_name) -%}
    is_role_in_session('{{ role_name }}')
{%- endmacro %}

{% macro duckdb__has_analytics_role(role_name) -%}
    coalesce(getvariable('analytics_role'), '') = '{{ role_name }}'
{%- endmacro %}

{% macro analytics_principal() -%}
    {{ return(adapter.dispatch('analytics_principal', 'customer_analytics')()) }}
{%- endmacro %}

{% macro default__analytics_principal() -%}
    current_user()
{%- endmacro %}

{% macro duckdb__analytics_principal() -%}
    upper(coalesce(getvariable('analytics_user'), ''))
{%- endmacro %}

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

{# True when the asking principal may read the analytics schema at all. #}
{% macro any_analytics_role() -%}
    ({{ sees_everything() }} or {{ has_analytics_role('SALES_LEADERSHIP') }})
{%- endmacro %}

{# The WHERE condition of a regional analytics view; on Snowflake the row access policy does it. #}
{% macro row_filter(region_expr) -%}
    {{ return(adapter.dispatch('row_filter', 'customer_analytics')(region_expr)) }}
{%- endmacro %}

{% macro default__row_filter(region_expr) -%}
    true
{%- endmacro %}

{% macro duckdb__row_filter(region_expr) -%}
    {{ region_visible(region_expr, ref('region_entitlements')) }}
{%- endmacro %}

{# The WHERE condition of a non-regional analytics view: any analytics role, nobody else. #}
{% macro role_filter() -%}
    {{ return(adapter.dispatch('role_filter', 'customer_analytics')()) }}
{%- endmacro %}

{% macro default__role_filter() -%}
    true
{%- endmacro %}

{% macro duckdb__role_filter() -%}
    {{ any_analytics_role() }}
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
