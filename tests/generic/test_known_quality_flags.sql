{#
    Every token of a quality_flags text (`attribute:reason`, comma-separated) must be one
    documented in the quality_flag_reasons seed for that entity, each at most once, and a clean
    row must carry NULL rather than an empty text. Fails on each flags text that breaks this,
    with how many tokens it has and how many of them are documented.
#}
{% test known_quality_flags(model, column_name, entity) %}

with

documented as (
    select attribute || ':' || reason as token
    from {{ ref('quality_flag_reasons') }}
    where entity = '{{ entity }}'
),

flag_texts as (
    select distinct {{ column_name }} as flags
    from {{ model }}
    where {{ column_name }} is not null
),

matched as (
    select
        flag_texts.flags,
        length(flag_texts.flags) - length(replace(flag_texts.flags, ',', '')) + 1 as tokens,
        count(documented.token) as documented_tokens
    from flag_texts
    left join documented
        on {{ has_quality_flag('flag_texts.flags', 'documented.token') }}
    group by flag_texts.flags
)

select * from matched
where flags = '' or documented_tokens <> tokens

{% endtest %}
