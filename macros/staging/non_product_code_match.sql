{#
    Join condition between a cleaned stock code and the non_product_codes seed, which lists codes
    matched exactly (POST, M, ...) and prefixes matched at the start (GIFT_ vouchers).
#}
{% macro non_product_code_match(stock_code, codes_alias) -%}
    (
        ({{ codes_alias }}.match_type = 'exact' and {{ stock_code }} = {{ codes_alias }}.code)
        or (
            {{ codes_alias }}.match_type = 'prefix'
            and left({{ stock_code }}, length({{ codes_alias }}.code)) = {{ codes_alias }}.code
        )
    )
{%- endmacro %}
