{#
    Golden-record survivorship: the value of `column` from the member record that ranks first in
    its golden client (partition `client_key`) under one of three documented rules. Records where
    `present_column` (default: the column itself) is NULL rank last, so a value wins over a gap.

    - preferred_source: best survivorship_rank of the source system (source_systems seed), then
      most recently updated, then client_id;
    - most_recent: most recently updated, then preferred source, then client_id;
    - most_complete: most filled-in record (completeness), then preferred source, then most
      recent, then client_id.

    Passing the same present_column for several columns (an address block) takes them all from
    one record, so a street is never paired with another record's city.
#}
{% macro survivor(column, rule, present_column=none) -%}
    {%- set orders = {
        'preferred_source': 'survivorship_rank asc, updated_at desc nulls last, client_id asc',
        'most_recent': 'updated_at desc nulls last, survivorship_rank asc, client_id asc',
        'most_complete': 'completeness desc, survivorship_rank asc, updated_at desc nulls last, client_id asc',
    } -%}
    {%- if rule not in orders -%}
        {%- do exceptions.raise_compiler_error('Unknown survivorship rule: ' ~ rule) -%}
    {%- endif -%}
    first_value({{ column }}) over (
        partition by client_key
        order by
            case when {{ present_column or column }} is null then 1 else 0 end asc,
            {{ orders[rule] }}
    )
{%- endmacro %}
