{#
    Several rules of a big relation in one pass: the key is present and unique, the not_null
    columns are present and every expression holds (NULL counts as a failure, as in
    expression_is_true). Separate unique, not_null and expression tests would each scan the
    relation, and a view's every scan recomputes it. Fails with one row per offending key value,
    counting the rows behind each rule it breaks. The key is a column or a list of columns (a
    compound key, every part present).
    The pass groups rows by a 64-bit checksum of the key, not by the key: grouping tens of millions
    of long text keys outgrows the warehouse's memory and spills. Only the keys of a checksum that
    repeats or holds a broken rule are then counted exactly, so a checksum shared by two keys
    costs a recount, never a false failure.
#}
{% test key_and_row_rules(model, key, not_null=[], expressions=[]) %}
{%- set key_columns = [key] if key is string else key %}

with

suspect_checksums as (
    select {{ row_checksum(key_columns) }} as key_checksum
    from {{ model }}
    group by {{ row_checksum(key_columns) }}
    having
        count(*) > 1
        or max(
            case
                when
                    {%- for column in key_columns %}
                    {{ 'or ' if not loop.first }}{{ column }} is null
                    {%- endfor %}
                    {%- for column in not_null %}
                    or {{ column }} is null
                    {%- endfor %}
                    {%- for expression in expressions %}
                    or not coalesce({{ expression }}, false)
                    {%- endfor %}
                    then 1
                else 0
            end
        ) = 1
),

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
    where {{ row_checksum(key_columns) }} in (
            select suspect_checksums.key_checksum from suspect_checksums
        )
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
