{#
    How each raw transactions column becomes a typed one: the typed column's name and the
    cleaning expression over raw_<column>. base_crm__transactions applies each rule once per
    distinct raw value.
#}
{% macro transaction_cleaning_rules() %}
    {{ return({
        'invoice_no': ('invoice_no', 'upper(' ~ clean_text('raw_invoice_no') ~ ')'),
        'stock_code': ('stock_code', 'upper(' ~ clean_text('raw_stock_code') ~ ')'),
        'description': ('description', clean_description('raw_description')),
        'quantity': ('quantity', parse_integer('raw_quantity')),
        'unit_price': ('unit_price', parse_decimal('raw_unit_price', 18, 4)),
        'invoice_date': ('invoice_at', parse_timestamp('raw_invoice_date')),
        'client_id': ('client_id', clean_text('raw_client_id')),
        'country': ('country', clean_text('raw_country')),
    }) }}
{% endmacro %}
