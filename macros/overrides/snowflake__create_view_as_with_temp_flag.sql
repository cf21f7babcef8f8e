{#
    Overrides dbt-snowflake's view DDL: secure views are created with their policies attached.

    Override of dbt-snowflake 1.11's snowflake__create_view_as_with_temp_flag
    (dbt/include/snowflake/macros/relations/view/create.sql), by name: the project's macro wins
    over the adapter's, so dbt-snowflake's view materialization calls this one.

    What: a model that declares access rules in its meta (the analytics views: region_column,
    pii_columns; models/analytics/_analytics__models.yml) gets them in the CREATE VIEW itself:

        create or replace secure view <db>.analytics.v_client_360 (
            "CLIENT_KEY" COMMENT $$…$$,
            "EMAIL" with masking policy <db>.analytics.pii_mask_varchar COMMENT $$…$$,
            …
        )
        with row access policy <db>.analytics.region_access on (region)
        as (…);

    Every other relation (tables' temporary views, models without access meta) goes to
    dbt-snowflake's own macro unchanged.

    Why: dbt-snowflake's view materialization runs CREATE OR REPLACE, then applies grants, then
    post-hooks. A view whose policies a post-hook attaches is therefore readable by its grantees
    without them until the hook runs, and for good if the hook fails. Attached in the CREATE,
    the policies exist on the view from its first moment, before any grant; a missing policy or
    a declared column the query no longer returns fails the CREATE (fail closed).
    dbt-snowflake 1.11 supports a row_access_policy view config, rendered as the same
    `with row access policy …` clause after COPY GRANTS, but it has no way to put masking
    policies in the column list, and as a literal string it would name the region column a
    second time; meta names it once for both targets, and the policy is always the one in the
    view's own database (access_policy_name). A model setting both is refused.

    fakesnow (target.account == 'fakesnow', CI's emulated build) parses neither policies nor
    temporary views: there the policy clauses are left out and views are never temporary (this
    part was a shim in macros/overrides/fakesnow_shims.sql); the policy-bearing SQL is checked
    as generated instead (tests/python/test_security_snowflake_statements.py).
#}
{% macro snowflake__create_view_as_with_temp_flag(relation, sql, is_temporary=False) -%}
    {%- set access = view_access_policies(relation, is_temporary) -%}
    {%- if access is none -%}
        {{ dbt.snowflake__create_view_as_with_temp_flag(relation, sql, is_temporary and not is_fakesnow()) }}
    {%- else -%}
        {{ create_view_with_access_policies(relation, sql, access) }}
    {%- endif -%}
{%- endmacro %}

{#
    The policies a view gets at creation: {'row_access': '<policy> on (<column>)' or none,
    'masking': {COLUMN (upper case): policy}}; none when the relation is not a model's own view
    with access meta, or on fakesnow.
#}
{% macro view_access_policies(relation, is_temporary) %}
    {%- set meta = config.get('meta') or {} -%}
    {%- if is_temporary or is_fakesnow() or model is not mapping
        or relation.identifier | lower != model.get('alias', '') | lower
        or not (meta.get('region_column') or meta.get('pii_columns')) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if config.get('row_access_policy') -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": declare the region column in meta.region_column, not in the"
            ~ " row_access_policy config (macros/overrides/snowflake__create_view_as_with_temp_flag.sql)"
        ) }}
    {%- endif -%}
    {%- set access = {'row_access': none, 'masking': {}} -%}
    {%- if meta.get('region_column') -%}
        {%- do access.update({'row_access': access_policy_name(relation.database, 'region_access')
            ~ ' on (' ~ meta['region_column'] ~ ')'}) -%}
    {%- endif -%}
    {%- for column, data_type in (meta.get('pii_columns') or {}).items() -%}
        {%- do access['masking'].update(
            {column | upper: access_policy_name(relation.database, 'pii_mask_' ~ data_type)}
        ) -%}
    {%- endfor -%}
    {{ return(access) }}
{% endmacro %}

{#
    dbt-snowflake's CREATE VIEW (same clauses, same order), with a column list that always
    exists and carries the masking policies, and the row access policy clause.
#}
{% macro create_view_with_access_policies(relation, sql, access) -%}
    {%- set secure = config.get('secure', default=false) -%}
    {%- set copy_grants = config.get('copy_grants', default=false) -%}
    {%- set table_tag = config.get('table_tag', default=none) -%}
    {%- set sql_header = config.get('sql_header', none) -%}
    {%- set query_columns = get_columns_in_query(sql) -%}
    {%- set returned = query_columns | map('upper') | list -%}
    {%- set region_column = (config.get('meta') or {}).get('region_column') -%}
    {%- for column in (access['masking'].keys() | list) + ([region_column] if region_column else [])
        if column | upper not in returned -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ " declares access rules on column " ~ column ~ ", which its query does not"
            ~ " return (columns: " ~ returned | join(', ') ~ ")"
        ) }}
    {%- endfor -%}

  {{ sql_header if sql_header is not none }}
  create or replace {% if secure -%} secure {%- endif %} view {{ relation }}
  (
    {%- for column_name in query_columns %}
    {{ column_with_access_policy(column_name, access['masking'].get(column_name | upper)) }}
    {{- ", " if not loop.last else "" }}
    {%- endfor %}
  )
  {%- set contract_config = config.get('contract') -%}
  {%- if contract_config.enforced -%}
    {{ get_assert_columns_equivalent(sql) }}
  {%- endif %}
  {% if copy_grants -%} copy grants {%- endif %}
  {% if access['row_access'] -%} with row access policy {{ access['row_access'] }} {%- endif %}
  {% if table_tag -%} with tag ({{ table_tag }}) {%- endif %}
  as (
    {{ sql }}
  );
{%- endmacro %}

{#
    One entry of the column list: the quoted name, its masking policy, and its description as
    dbt-snowflake writes it when column docs are persisted (get_column_comment_sql, whose output
    starts with the quoted name).
#}
{% macro column_with_access_policy(column_name, masking_policy) -%}
    {%- set quoted = adapter.quote(column_name) -%}
    {%- set masking = ' with masking policy ' ~ masking_policy if masking_policy else '' -%}
    {%- if config.persist_column_docs() -%}
        {%- set documented = get_column_comment_sql(column_name, model.columns) | trim -%}
        {{ quoted }}{{ masking }}{{ documented[quoted | length:] }}
    {%- else -%}
        {{ quoted }}{{ masking }}
    {%- endif -%}
{%- endmacro %}
