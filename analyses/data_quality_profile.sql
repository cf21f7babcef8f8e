{#
    Data quality per raw entity: how many raw rows were staged, how many rejected and why, with
    each reason's description. Start here when a load looks off.
#}
with

reasons as (
    select * from {{ ref('reject_reasons') }}
),

{% for entity in ['clients', 'products', 'transactions'] %}
{{ entity }}_profile as (
    select
        '{{ entity }}' as entity,
        'staged' as outcome,
        cast(null as varchar) as reject_reason,
        count(*) as raw_rows
    from {{ ref('stg_crm__' ~ entity) }}
    union all
    select
        '{{ entity }}' as entity,
        'rejected' as outcome,
        reject_reason,
        count(*) as raw_rows
    from {{ ref('stg_crm__' ~ entity ~ '_rejected') }}
    group by reject_reason
),
{% endfor %}

profiles as (
    select * from clients_profile
    union all
    select * from products_profile
    union all
    select * from transactions_profile
),

final as (
    select
        profiles.entity,
        profiles.outcome,
        profiles.reject_reason,
        reasons.description,
        profiles.raw_rows,
        round(
            100.0 * profiles.raw_rows
            / sum(profiles.raw_rows) over (partition by profiles.entity), 2
        ) as percent_of_raw
    from profiles
    left join reasons
        on
            profiles.entity = reasons.entity
            and profiles.reject_reason = reasons.reason_code
)

select * from final
order by entity asc, outcome desc, raw_rows desc
