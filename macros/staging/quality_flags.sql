{#
    Quality flags: an optional attribute that is malformed or implausible is set to NULL on the
    staged row instead of rejecting it, and the row says which attributes were nulled and why.
    Only a missing key or a duplicate rejects a row. Every (attribute, reason) pair a model can
    flag is described in the quality_flag_reasons seed.
#}

{#
    Why a raw date or timestamp is not usable, or NULL when it is (or is empty): 'unparseable'
    (not in the contract's format, or no such day), 'too_early' (before `earliest`, by default
    min_plausible_date), 'in_future' (from the end of the day after the delivery date on, the
    bound of is_implausible_date).
#}
{% macro date_quality_issue(raw_expr, parsed_expr, earliest=none) -%}
    case
        when {{ is_malformed(raw_expr, parsed_expr) }} then 'unparseable'
        when {{ parsed_expr }} < cast('{{ earliest or min_plausible_date() }}' as date)
            then 'too_early'
        when {{ parsed_expr }} >= {{ plausible_dates_end() }} then 'in_future'
    end
{%- endmacro %}

{#
    The quality_flags text of a row: one `attribute:reason` token per nulled attribute, sorted
    by attribute name, joined with commas (`annual_revenue:negative,date_of_birth:too_early`);
    NULL when nothing was nulled. `issues` maps each attribute to the SQL expression of its
    reason (NULL when the value is usable). Portable: `||` with NULL is NULL on every warehouse.
#}
{% macro quality_flags(issues) -%}
    nullif(substr(
        {%- for attribute in issues | sort %}
        coalesce(',{{ attribute }}:' || {{ issues[attribute] }}, ''){{ ' ||' if not loop.last }}
        {%- endfor %},
        2
    ), '')
{%- endmacro %}

{#
    True when a quality_flags text holds the token `attribute:reason` (both SQL expressions).
    The commas around both sides keep `created_at:too_early` from matching inside a longer token.
#}
{% macro has_quality_flag(flags_expr, token_expr) -%}
    ({{ dbt.position("',' || " ~ token_expr ~ " || ','", "',' || " ~ flags_expr ~ " || ','") }} > 0)
{%- endmacro %}
