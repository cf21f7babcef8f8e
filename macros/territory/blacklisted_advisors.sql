{#
    The (client, advisor) pairs a blacklist rule in force forbids, read from the rule matches
    (int_territory_rule_matches). Stated once: the deciding rule's named advisor and the advisor
    chosen by capacity inside the territory both skip these pairs.
#}
{% macro blacklisted_advisors(matches) %}
    select distinct
        client_key,
        advisor_id
    from {{ matches }}
    where rule_type = 'blacklist' and advisor_id is not null
{% endmacro %}
