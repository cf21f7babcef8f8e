{#
    Drift of the client scores between recorded as-of dates: for every monitored score and
    every date in score_summary_history, its summary next to the previous recorded date's and
    the population stability index (PSI) of its distribution over the fixed bins of
    score_distribution_history, against the previous recorded date. Reads recorded history, so
    it is state, not a function of the latest delivery. Definitions: docs/model_monitoring.md.
#}
{#- Shares are floored so an empty bin contributes a finite amount (a common convention). #}
{%- set share_floor = 0.0001 %}
with

summaries as (
    select * from {{ ref('score_summary_history') }}
),

distributions as (
    select * from {{ ref('score_distribution_history') }}
),

paired as (
    select
        *,
        lag(recorded_as_of) over (partition by score_name order by recorded_as_of)
            as previous_as_of_date,
        lag(mean_score) over (partition by score_name order by recorded_as_of)
            as previous_mean_score,
        lag(p50_score) over (partition by score_name order by recorded_as_of)
            as previous_p50_score
    from summaries
),

bin_pairs as (
    select
        paired.score_name,
        paired.recorded_as_of,
        current_bins.bin_index,
        case
            when current_bins.share_of_clients < {{ share_floor }} then {{ share_floor }}
            else current_bins.share_of_clients
        end as actual_share,
        case
            when previous_bins.share_of_clients < {{ share_floor }} then {{ share_floor }}
            else previous_bins.share_of_clients
        end as expected_share,
        {#- The label spells the bin's edges: a different label is a redefined bin. #}
        case
            when
                previous_bins.bin_index is null
                or current_bins.bin_label != previous_bins.bin_label
                then 1
            else 0
        end as bin_changed
    from paired
    inner join distributions as current_bins
        on
            paired.score_name = current_bins.score_name
            and paired.recorded_as_of = current_bins.recorded_as_of
    left join distributions as previous_bins
        on
            current_bins.score_name = previous_bins.score_name
            and current_bins.bin_index = previous_bins.bin_index
            and paired.previous_as_of_date = previous_bins.recorded_as_of
    where paired.previous_as_of_date is not null
),

psi as (
    select
        score_name,
        recorded_as_of,
        {#- Bins redefined between the two dates: no comparable PSI. #}
        case
            when max(bin_changed) = 0
                then sum((actual_share - expected_share) * ln(actual_share / expected_share))
        end as psi
    from bin_pairs
    group by score_name, recorded_as_of
),

final as (
    select
        cast(paired.score_name as {{ dbt.type_string() }}) as score_name,
        cast(paired.recorded_as_of as date) as as_of_date,
        cast(paired.previous_as_of_date as date) as previous_as_of_date,
        paired.clients,
        paired.scored_clients,
        paired.mean_score,
        paired.p10_score,
        paired.p50_score,
        paired.p90_score,
        paired.previous_mean_score,
        paired.previous_p50_score,
        cast(round(psi.psi, 6) as double) as psi,
        case
            when psi.psi is null then null
            when psi.psi < 0.10 then 'stable'
            when psi.psi < 0.25 then 'moderate'
            else 'significant'
        end as drift_level
    from paired
    left join psi
        on
            paired.score_name = psi.score_name
            and paired.recorded_as_of = psi.recorded_as_of
)

select * from final
