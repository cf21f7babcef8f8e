{#
    How a staging model settles repeated rows and repeated keys, stated once for every base model.
    Exact copies of a row share row_hash: the first is kept, the others are 'duplicate_row'. Rows
    that share a business key but differ: the key's rule (order_by) picks one winner among the
    rows with the same verdict so far, and the others become 'duplicate_<key>'.
#}
{% macro row_occurrence(row_hash='row_hash') -%}
    row_number() over (partition by {{ row_hash }} order by {{ row_hash }})
{%- endmacro %}

{% macro key_rank(key, order_by) -%}
    row_number() over (partition by {{ key }}, row_reject_reason order by {{ order_by }})
{%- endmacro %}

{% macro reject_reason_with_key_rank(key_rank_column, duplicate_reason) -%}
    coalesce(
        row_reject_reason,
        case when {{ key_rank_column }} > 1 then '{{ duplicate_reason }}' end
    )
{%- endmacro %}
