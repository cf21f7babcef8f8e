{#
    Overrides dbt's generate_schema_name(): schemas are used verbatim (stage, core, analytics, raw).

    Custom schemas are used verbatim (stage, core, analytics, raw) instead of dbt's default
    <target_schema>_<custom> prefixing, so analysts and grants see stable schema names.
    Environments are separated by database (DuckDB file or Snowflake database), not by schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
