{#
    Product descriptions arrive in mixed case with stray whitespace, and '?' placeholders where
    staff did not know the product. Canonical form: upper case, single spaces, NULL for unknown.
#}
{% macro clean_description(expr) -%}
    case
        when {{ is_full_match(clean_text(expr), '[?[:space:]]+') }} then null
        else upper({{ clean_text(expr) }})
    end
{%- endmacro %}
