{#
    Monthly business metrics and revenue trends with a 0-100 business-health score; see the
    business_metrics_monthly doc block for every definition. Each component compares a
    three-month window with the same window a year earlier (which evens out seasonality and odd
    single months) or, for retention, follows last year's clients into this year, and is mapped
    onto 0-1 by a logistic curve that saturates (macros/metrics/logistic_score.sql). The score
    is NULL until a year-earlier window exists and for the incomplete month.
#}
{#- Weights sum to 1; scales are on ln(ratio) (or on the rate, for retention). Documented in
    the doc block: change both together. #}
{%- set weights = {'growth': 0.35, 'retention': 0.25, 'acquisition': 0.25, 'order_value': 0.15} %}
{%- set growth_scale = 0.15 %}
{%- set acquisition_scale = 0.25 %}
{%- set order_value_scale = 0.15 %}
{%- set retention_midpoint = 0.60 %}
{%- set retention_scale = 0.08 %}
with

monthly as (
    select * from {{ ref('int_monthly_commerce') }}
),

invoices as (
    select * from {{ ref('int_client_invoices') }}
),

client_months as (
    select distinct
        client_key,
        cast({{ dbt.date_trunc('month', 'invoice_date') }} as date) as month_start
    from invoices
),

{# Retention of month m: the clients who bought in the three months a year earlier (m-14 to
    m-12), and which of them bought again in the twelve months since (m-11 to m). #}
retention_cohort as (
    select distinct
        monthly.month_start,
        client_months.client_key
    from monthly
    inner join client_months
        on
            client_months.month_start >= {{ dbt.dateadd('month', -14, 'monthly.month_start') }}
            and client_months.month_start <= {{ dbt.dateadd('month', -12, 'monthly.month_start') }}
),

retention_returned as (
    select distinct
        retention_cohort.month_start,
        retention_cohort.client_key
    from retention_cohort
    inner join client_months
        on
            retention_cohort.client_key = client_months.client_key
            and {{ dbt.dateadd('month', -12, 'retention_cohort.month_start') }}
            < client_months.month_start
            and retention_cohort.month_start >= client_months.month_start
),

retention as (
    select
        retention_cohort.month_start,
        count(*) as cohort_clients,
        count(retention_returned.client_key) as retained_clients
    from retention_cohort
    left join retention_returned
        on
            retention_cohort.month_start = retention_returned.month_start
            and retention_cohort.client_key = retention_returned.client_key
    group by retention_cohort.month_start
),

windowed as (
    select
        monthly.*,
        retention.cohort_clients,
        retention.retained_clients,
        row_number() over (order by monthly.month_start) as history_months,
        count(*) over (order by monthly.month_start rows between 2 preceding and current row)
            as months_in_window,
        sum(monthly.net_revenue) over (
            order by monthly.month_start rows between 2 preceding and current row
        ) as trailing_revenue,
        sum(monthly.new_clients) over (
            order by monthly.month_start rows between 2 preceding and current row
        ) as trailing_new_clients,
        sum(monthly.gross_sales) over (
            order by monthly.month_start rows between 2 preceding and current row
        ) as trailing_gross_sales,
        sum(monthly.purchase_invoices) over (
            order by monthly.month_start rows between 2 preceding and current row
        ) as trailing_invoices,
        lag(monthly.net_revenue, 1) over (order by monthly.month_start) as previous_month_revenue,
        lag(monthly.net_revenue, 12) over (order by monthly.month_start) as year_earlier_revenue
    from monthly
    left join retention
        on monthly.month_start = retention.month_start
),

trended as (
    select
        *,
        case when months_in_window = 3 then trailing_revenue end as rolling_3m_revenue,
        case when months_in_window = 3 then trailing_new_clients end as rolling_3m_new_clients,
        case
            when months_in_window = 3 then trailing_gross_sales / nullif(trailing_invoices, 0)
        end as rolling_3m_order_value
    from windowed
),

compared as (
    select
        *,
        lag(rolling_3m_revenue, 12) over (order by month_start) as year_earlier_3m_revenue,
        lag(rolling_3m_new_clients, 12) over (order by month_start)
            as year_earlier_3m_new_clients,
        lag(rolling_3m_order_value, 12) over (order by month_start)
            as year_earlier_3m_order_value,
        {#- The cohort window (m-14 to m-12) lies inside the history from the 15th month. #}
        case
            when history_months >= 15
                then coalesce(retained_clients, 0) * 1.0 / nullif(cohort_clients, 0)
        end as retention_rate
    from trended
),

scored as (
    select
        *,
        rolling_3m_revenue / nullif(year_earlier_3m_revenue, 0) - 1 as rolling_3m_yoy_growth,
        rolling_3m_new_clients * 1.0 / nullif(year_earlier_3m_new_clients, 0) - 1
            as new_clients_3m_yoy_growth,
        rolling_3m_order_value / nullif(year_earlier_3m_order_value, 0) - 1
            as order_value_3m_yoy_growth,
        {{ ratio_score('rolling_3m_revenue', 'year_earlier_3m_revenue', growth_scale) }}
            as growth_score,
        {{ logistic_score('retention_rate', retention_midpoint, retention_scale) }}
            as retention_score,
        {{ ratio_score(
            'rolling_3m_new_clients', 'year_earlier_3m_new_clients', acquisition_scale
        ) }} as acquisition_score,
        {{ ratio_score(
            'rolling_3m_order_value', 'year_earlier_3m_order_value', order_value_scale
        ) }} as order_value_score
    from compared
),

weighted as (
    select
        *,
        {{ weights['growth'] }} * growth_score
        + {{ weights['retention'] }} * retention_score
        + {{ weights['acquisition'] }} * acquisition_score
        + {{ weights['order_value'] }} * order_value_score as weighted_health
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
        cast(round(new_clients_3m_yoy_growth, 4) as double) as new_clients_3m_yoy_growth,
        cast(round(order_value_3m_yoy_growth, 4) as double) as order_value_3m_yoy_growth,
        cast(round(retention_rate, 4) as double) as retention_rate,
        round(growth_score, 4) as growth_score,
        round(retention_score, 4) as retention_score,
        round(acquisition_score, 4) as acquisition_score,
        round(order_value_score, 4) as order_value_score,
        case
            when is_complete_month then round(100 * weighted_health, 1)
        end as health_score
    from weighted
)

select * from final
