{#
    Several rules of a big relation in one pass: the key is present and unique, the not_null
    columns are present and every expression holds (NULL counts as a failure, as in
    expression_is_true). Separate unique, not_null and expression tests would each scan the
    relation, and a view's every scan recomputes it. Fails with one row per offending key value,
    counting the rows behind each rule it breaks. The key is a column or a list of columns (a
    compound key, every part present).
#}
{% test key_and_row_rules(model, key, not_null=[], expressions=[]) %}
{%- set key_columns = [key] if key is string else key %}

with

checked as (
    select
        {{ key_columns | join(', ') }},
        count(*) as rows_with_key
        {%- for column in not_null %},
        count(*) - count({{ column }}) as {{ column }}_missing
        {%- endfor %}
        {%- for expression in expressions %},
        count(case when not coalesce({{ expression }}, false) then 1 end) as rule_{{ loop.index }}_broken
        {%- endfor %}
    from {{ model }}
    group by {{ key_columns | join(', ') }}
)

select * from checked
where
    {%- for column in key_columns %}
    {{ 'or ' if not loop.first }}{{ column }} is null
    {%- endfor %}
    or rows_with_key > 1
    {%- for column in not_null %}
    or {{ column }}_missing > 0
    {%- endfor %}
    {%- for expression in expressions %}
    or rule_{{ loop.index }}_broken > 0
    {%- endfor %}

{% endtest %}
