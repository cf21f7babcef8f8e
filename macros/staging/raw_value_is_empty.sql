{#
    True when a row of base_crm__<entity> delivered `column` empty: missing, or nothing but white
    space (what clean_text turns into NULL). base_crm__transactions keeps raw text for rejected
    lines only, so for a staged line the cleaned value answers: cleaning nulls only such text
    (and, for description, a placeholder of question marks); any other bad value rejects the line.
#}
{% macro raw_value_is_empty(entity, column) -%}
    {%- if entity == 'transactions' -%}
        case
            when reject_reason is null
                then {{ transaction_cleaning_rules()[column][0] }} is null
            else {{ clean_text('raw_' ~ column) }} is null
        end
    {%- else -%}
        {{ clean_text('raw_' ~ column) }} is null
    {%- endif -%}
{%- endmacro %}
