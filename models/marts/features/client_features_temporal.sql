{#
    When each golden client spends, as of the as-of date.

    Trend: the least-squares slope of net spend per month over the 12 complete calendar months
    before the as-of month (months without spend count as 0), in currency per month, and that
    slope relative to the window's mean monthly spend. With x = 0 … 11 (oldest to latest) the
    slope is sum((x - 5.5) * spend) / 143, so it is one pass over the lines: no month spine.

    Seasonality: the calendar month with the most net spend over the whole history (ties: the
    earliest) and its share, and the share spent in October-December.
#}
with

clients as (
    select * from {{ ref('client_dim') }}
),

client_lines as (
    select * from {{ ref('int_client_product_lines') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

lines as (
    select
        client_lines.client_key,
        client_lines.net_amount,
        extract(month from client_lines.invoice_date) as calendar_month,
        {{ dbt.datediff('client_lines.invoice_date', 'as_of.as_of_date', 'month') }}
            as months_before_as_of
    from client_lines
    cross join as_of
),

window_spend as (
    select
        client_key,
        sum(net_amount) as spend_last_12_months,
        sum((6.5 - months_before_as_of) * net_amount) / 143 as monthly_trend_slope
    from lines
    where months_before_as_of between 1 and 12
    group by client_key
),

month_spend as (
    select
        client_key,
        calendar_month,
        sum(net_amount) as spend,
        sum(sum(greatest(net_amount, 0))) over (partition by client_key) as positive_spend,
        row_number() over (
            partition by client_key
            order by sum(net_amount) desc, calendar_month asc
        ) as month_rank
    from lines
    group by client_key, calendar_month
),

seasonality as (
    select
        client_key,
        max(case when month_rank = 1 then calendar_month end) as peak_calendar_month,
        max(case when month_rank = 1 then spend end)
        / nullif(max(positive_spend), 0) as peak_month_share,
        sum(case when calendar_month >= 10 then greatest(spend, 0) else 0 end)
        / nullif(max(positive_spend), 0) as q4_spend_share
    from month_spend
    group by client_key
),

final as (
    select
        clients.client_key,
        cast(
            coalesce(window_spend.spend_last_12_months, 0) as decimal(18, 2)
        ) as spend_last_12_months,
        cast(
            coalesce(window_spend.monthly_trend_slope, 0) as decimal(18, 2)
        ) as monthly_trend_slope,
        {#- Over the spend in cents, so a year that nets to zero has no ratio on every engine,
            whatever float noise its sum carries. #}
        round(
            window_spend.monthly_trend_slope
            / nullif(cast(window_spend.spend_last_12_months as decimal(18, 2)) / 12, 0), 4
        ) as monthly_trend_ratio,
        cast(seasonality.peak_calendar_month as integer) as peak_calendar_month,
        cast(seasonality.peak_month_share as decimal(9, 4)) as peak_month_share,
        cast(seasonality.q4_spend_share as decimal(9, 4)) as q4_spend_share
    from clients
    left join window_spend
        on clients.client_key = window_spend.client_key
    left join seasonality
        on clients.client_key = seasonality.client_key
)

select * from final
