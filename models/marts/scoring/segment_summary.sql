{#
    One row per behaviour segment (client_scores.segment_id, a KMeans cluster; not an RFM
    cell): its clients and their share, revenue to date and in the last 12 months with its
    share, mean 12-month CLV, mean churn probability and the observed share lapsed beyond the
    churn horizon, the share in the high churn-risk band, and the median recency, invoices and
    spend its name's claims are about (docs/segments.md).
#}
with

scores as (
    select * from {{ ref('client_scores') }}
),

features as (
    select * from {{ ref('client_features') }}
),

members as (
    select
        scores.segment_id,
        scores.segment_name,
        scores.as_of_date,
        scores.clv_12m,
        scores.churn_probability,
        scores.churn_risk_band,
        features.recency_days,
        features.frequency,
        features.monetary,
        features.spend_last_12_months
    from scores
    inner join features
        on scores.client_key = features.client_key
),

segments as (
    select
        segment_id,
        segment_name,
        max(as_of_date) as as_of_date,
        count(*) as clients,
        sum(monetary) as revenue,
        sum(spend_last_12_months) as revenue_12m,
        avg(clv_12m) as mean_clv_12m,
        {#- Over decimals, whose sum is exact: a sum of doubles depends on the order the
            threads add them, and a rebuild of the same data must give the same table. #}
        avg(cast(churn_probability as decimal(18, 9))) as mean_churn_probability,
        avg(
            case
                when recency_days > {{ var('churn_horizon_days') }} then 1.0
                when recency_days is not null then 0.0
            end
        ) as lapsed_share,
        avg(
            case
                when churn_risk_band = 'high' then 1.0
                when churn_risk_band is not null then 0.0
            end
        ) as high_risk_share,
        median(recency_days) as median_recency_days,
        median(frequency) as median_frequency,
        median(monetary) as median_monetary
    from members
    group by segment_id, segment_name
),

final as (
    select
        cast(segment_id as integer) as segment_id,
        segment_name,
        cast(clients as integer) as clients,
        cast(1.0 * clients / sum(clients) over () as double) as client_share,
        cast(revenue as decimal(18, 2)) as revenue,
        cast(revenue / nullif(sum(revenue) over (), 0) as double) as revenue_share,
        cast(revenue_12m as decimal(18, 2)) as revenue_12m,
        cast(mean_clv_12m as decimal(18, 2)) as mean_clv_12m,
        cast(mean_churn_probability as double) as mean_churn_probability,
        cast(lapsed_share as double) as lapsed_share,
        cast(high_risk_share as double) as high_risk_share,
        cast(median_recency_days as double) as median_recency_days,
        cast(median_frequency as double) as median_frequency,
        cast(median_monetary as decimal(18, 2)) as median_monetary,
        as_of_date
    from segments
)

select * from final
