{# One row per calendar month: revenue, orders, clients, growth and the business-health score. #}
with

metrics as (
    select * from {{ ref('business_metrics_monthly') }}
),

final as (
    select
        month_start,
        is_complete_month,
        net_revenue,
        gross_sales,
        cancelled_value,
        purchase_invoices,
        average_order_value,
        active_clients,
        new_clients,
        returning_clients,
        revenue_mom_growth,
        revenue_yoy_growth,
        rolling_3m_revenue,
        rolling_3m_yoy_growth,
        health_score
    from metrics
    where {{ role_filter() }}
)

select * from final
