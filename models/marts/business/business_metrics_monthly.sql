{#
    Monthly business metrics and revenue trends with a 0-100 business-health score; see the
    business_metrics_monthly doc block for every definition. Growth compares rolling three-month
    windows with the same window a year earlier, which evens out seasonality and single odd
    months; the score is NULL until a year-earlier window exists and for the incomplete month.
#}
with

monthly as (
    select * from {{ ref('int_monthly_commerce') }}
),

windowed as (
    select
        *,
        count(*) over (order by month_start rows between 2 preceding and current row)
            as months_in_window,
        sum(net_revenue) over (order by month_start rows between 2 preceding and current row)
            as trailing_revenue,
        sum(new_clients) over (order by month_start rows between 2 preceding and current row)
            as trailing_new_clients,
        lag(net_revenue, 1) over (order by month_start) as previous_month_revenue,
        lag(net_revenue, 12) over (order by month_start) as year_earlier_revenue
    from monthly
),

trended as (
    select
        *,
        case when months_in_window = 3 then trailing_revenue end as rolling_3m_revenue,
        case when months_in_window = 3 then trailing_new_clients end as rolling_3m_new_clients
    from windowed
),

compared as (
    select
        *,
        lag(rolling_3m_revenue, 12) over (order by month_start) as year_earlier_3m_revenue,
        lag(rolling_3m_new_clients, 12) over (order by month_start)
            as year_earlier_3m_new_clients
    from trended
),

scored as (
    select
        *,
        rolling_3m_revenue / nullif(year_earlier_3m_revenue, 0) - 1 as rolling_3m_yoy_growth,
        {{ unit_clamp('0.5 + rolling_3m_revenue / nullif(year_earlier_3m_revenue, 0) - 1') }}
            as growth_score,
        (active_clients - new_clients) / nullif(active_clients, 0) as retention_score,
        {{ unit_clamp(
            '0.5 + rolling_3m_new_clients / nullif(year_earlier_3m_new_clients, 0) - 1'
        ) }} as acquisition_score,
        {{ unit_clamp('1 - cancelled_value / nullif(gross_sales, 0) / 0.10') }}
            as cancellation_score
    from compared
),

weighted as (
    select
        *,
        0.35 * growth_score
        + 0.30 * retention_score
        + 0.20 * acquisition_score
        + 0.15 * cancellation_score as weighted_health
    from scored
),

final as (
    select
        month_start,
        is_complete_month,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(gross_sales as decimal(18, 2)) as gross_sales,
        cast(cancelled_value as decimal(18, 2)) as cancelled_value,
        cast(purchase_invoices as integer) as purchase_invoices,
        cast(gross_sales / nullif(purchase_invoices, 0) as decimal(18, 2))
            as average_order_value,
        cast(active_clients as integer) as active_clients,
        cast(new_clients as integer) as new_clients,
        cast(active_clients - new_clients as integer) as returning_clients,
        round(net_revenue / nullif(previous_month_revenue, 0) - 1, 4) as revenue_mom_growth,
        round(net_revenue / nullif(year_earlier_revenue, 0) - 1, 4) as revenue_yoy_growth,
        cast(rolling_3m_revenue as decimal(18, 2)) as rolling_3m_revenue,
        round(rolling_3m_yoy_growth, 4) as rolling_3m_yoy_growth,
        round(growth_score, 4) as growth_score,
        round(retention_score, 4) as retention_score,
        round(acquisition_score, 4) as acquisition_score,
        round(cancellation_score, 4) as cancellation_score,
        case
            when is_complete_month then round(100 * weighted_health, 1)
        end as health_score
    from weighted
)

select * from final
