{#
    Relations this project no longer builds, dropped at the start of every run so a working
    database built by an older revision does not keep (and publish) a stale copy next to its
    successor. Each entry says what replaced it.
#}
{% macro retired_relations() %}
    {{ return([
        {'schema': 'core', 'name': 'fct_transactions', 'replaced_by': 'core.transactions_fact'},
    ]) }}
{% endmacro %}

{% macro drop_retired_relations() %}
    {% if execute and not var('offline') %}
        {% for retired in retired_relations() %}
            {% set relation = adapter.get_relation(target.database, retired.schema, retired.name) %}
            {% if relation is not none %}
                {{ log('Dropping ' ~ relation ~ ', replaced by ' ~ retired.replaced_by, info=true) }}
                {% do adapter.drop_relation(relation) %}
            {% endif %}
        {% endfor %}
    {% endif %}
{% endmacro %}
