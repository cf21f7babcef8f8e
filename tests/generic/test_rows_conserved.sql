{#
    Every raw row must end in exactly one place: the staged model or the rejected model.
    Fails with one row showing the three counts when staged + rejected differs from raw.
#}
{% test rows_conserved(model, staged, rejected) %}

with

counts as (
    select
        (select count(*) from {{ model }}) as raw_rows,
        (select count(*) from {{ staged }}) as staged_rows,
        (select count(*) from {{ rejected }}) as rejected_rows
)

select * from counts
where raw_rows <> staged_rows + rejected_rows

{% endtest %}
