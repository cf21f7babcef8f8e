{#
    Recorded distribution of each monitored client score over its fixed bins
    (macros/metrics/score_monitoring.sql) on each recorded as-of date: every bin, empty ones
    included, with its clients and their share of all clients. score_drift compares these
    shares between recorded dates. Written by the same runs as the other history models
    (macros/history/as_of_history.sql); a snapshot on every recorded date.
#}
{{ config(pre_hook="{{ clear_recorded_from_as_of() }}") }}

{% set recorded = history_is_recorded() %}

with

scores as (
    select * from {{ ref('client_scores') }}
),

bins as (
    {{ score_bins() | indent(4) }}
),

binned as (
    {{ binned_scores('scores') | indent(4) }}
),

counted as (
    select
        bins.score_name,
        bins.bin_index,
        bins.bin_lower,
        bins.bin_upper,
        bins.bin_label,
        count(binned.score_name) as clients
    from bins
    left join binned
        on
            bins.score_name = binned.score_name
            and bins.bin_index = binned.bin_index
    group by bins.score_name, bins.bin_index, bins.bin_lower, bins.bin_upper, bins.bin_label
),

final as (
    select
        score_name,
        cast(bin_index as integer) as bin_index,
        bin_lower,
        bin_upper,
        cast(bin_label as {{ dbt.type_string() }}) as bin_label,
        cast(clients as integer) as clients,
        cast(clients as double) / nullif(sum(clients) over (partition by score_name), 0)
            as share_of_clients,
        {{ as_of_date() }} as recorded_as_of
    from counted
    {% if not recorded -%}
    where 1 = 0
    {%- endif %}
)

select * from final
