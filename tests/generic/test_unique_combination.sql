{#
    Fails on every combination of the given columns that occurs more than once. Combinations are
    counted by a 64-bit checksum first and exactly only where a checksum repeats: grouping tens of
    millions of long text keys outgrows the warehouse's memory and spills, their checksums do not.
    A checksum shared by different combinations only sends them to the exact count.
#}
{% test unique_combination(model, columns) %}

with

repeated_checksums as (
    select {{ row_checksum(columns) }} as combination_checksum
    from {{ model }}
    group by {{ row_checksum(columns) }}
    having count(*) > 1
),

repeated as (
    select
        {{ columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    where {{ row_checksum(columns) }} in (
            select repeated_checksums.combination_checksum from repeated_checksums
        )
    group by {{ columns | join(', ') }}
    having count(*) > 1
)

select * from repeated

{% endtest %}
