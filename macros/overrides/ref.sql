{#
    Overrides dbt's ref(): on Snowflake without the database, so a swapped-in database reads itself.

    On Snowflake a ref leaves out the database, so a view finds its tables in its own database.
    That is what lets publish_audited_database swap a whole audited database with the published
    one: with full names, the views swapped in would still read the audit database. Snowflake
    resolves a name without a database inside a view against the view's database (the same
    rule makes a cloned database's views read the clone). DuckDB keeps full names; its publish
    step copies the file under the same name instead (customer_analytics.publish).
#}
{% macro ref() %}
    {% set relation = builtins.ref(*varargs, **kwargs) %}
    {% if target.type == 'snowflake' %}
        {{ return(relation.include(database=false)) }}
    {% endif %}
    {{ return(relation) }}
{% endmacro %}
