{#
    Golden-record survivorship: each attribute of a golden client comes from the member record
    that ranks first under one of three documented rules. Records where the attribute's
    `present_column` (default: the attribute itself) is NULL rank last, so a value wins over a gap.

    - preferred_source: best survivorship_rank of the source system (source_systems seed), then
      most recently updated, then client_id;
    - most_recent: most recently updated, then preferred source, then client_id;
    - most_complete: most filled-in record (completeness), then preferred source, then most
      recent, then client_id.

    Passing the same present_column for several attributes (an address block) takes them all from
    one record, so a street is never paired with another record's city.

    Each rule numbers the members once (survivorship_rank_under, one sort per rule); an
    attribute's survivor is then the best-numbered member whose present column is filled in, or
    member 1 when none is (survivor_number), and its value is read from that member
    (survivor_value). A first_value window per attribute sorted every record fifteen times.
#}
{# client_dim's attributes: the rule each follows and the column that must be filled in on the
   record it comes from (none: the attribute itself). #}
{% macro client_attribute_survivorship() %}
    {{ return({
        'client_name': ('preferred_source', none),
        'client_type': ('preferred_source', none),
        'industry': ('preferred_source', none),
        'parent_client_key': ('preferred_source', none),
        'email': ('most_recent', none),
        'phone': ('most_recent', none),
        'annual_revenue': ('most_recent', none),
        'address_line': ('most_recent', 'address_line'),
        'city': ('most_recent', 'address_line'),
        'postcode': ('most_recent', 'address_line'),
        'state': ('most_recent', 'address_line'),
        'country': ('most_recent', none),
        'region': ('most_recent', 'country'),
        'tax_id': ('most_complete', none),
        'date_of_birth': ('most_complete', none),
    }) }}
{% endmacro %}

{% macro survivorship_orders() %}
    {{ return({
        'preferred_source': 'survivorship_rank asc, updated_at desc nulls last, client_id asc',
        'most_recent': 'updated_at desc nulls last, survivorship_rank asc, client_id asc',
        'most_complete': 'completeness desc, survivorship_rank asc, updated_at desc nulls last, client_id asc',
    }) }}
{% endmacro %}

{# A member record's position in its golden client under the rule (1 = first; client_id is
   unique, so the order is total). #}
{% macro survivorship_rank_under(rule) -%}
    {%- if rule not in survivorship_orders() -%}
        {%- do exceptions.raise_compiler_error('Unknown survivorship rule: ' ~ rule) -%}
    {%- endif -%}
    row_number() over (partition by client_key order by {{ survivorship_orders()[rule] }})
{%- endmacro %}

{# Aggregate over a golden client's members: the position, under the rule, of the member the
   attribute survives from. #}
{% macro survivor_number(column, rule, present_column=none) -%}
    coalesce(min(case when {{ present_column or column }} is not null then {{ rule }}_number end), 1)
{%- endmacro %}

{# Aggregate over a golden client's members (relation `members`, numbered by every rule) joined
   to their survivor numbers: the attribute's value on the member numbered `survivor_column`. #}
{% macro survivor_value(members, column, rule, survivor_column) -%}
    max(case when {{ members }}.{{ rule }}_number = {{ survivor_column }} then {{ members }}.{{ column }} end)
{%- endmacro %}
