{#
    Fails on every row where the boolean SQL expression is false or NULL. NULL counts as a failure
    so that a rule cannot pass by accident on missing data; guard nullable columns explicitly.
#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
