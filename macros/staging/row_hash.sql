{#
    Fingerprint of a raw row over all of its contract columns. Two rows with the same hash are
    exact duplicates. ASCII control characters (unit separator between fields, record separator
    for NULL) cannot occur in sane CSV text, so neither a '|' inside a field nor a NULL standing
    beside an empty string can make two different rows hash alike.
#}
{% macro row_hash(columns) -%}
    md5(
        {%- for column in columns %}
        coalesce(cast({{ column }} as {{ dbt.type_string() }}), chr(30))
        {%- if not loop.last %} || chr(31) ||{% endif %}
        {%- endfor %}
    )
{%- endmacro %}
