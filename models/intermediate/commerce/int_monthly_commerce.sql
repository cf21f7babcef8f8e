{#
    Product sales per calendar month before the as-of date, on a gap-free month spine (a month
    without sales is a row of zeros, so lag() and rolling windows count months, not rows). Lines
    of unknown clients count in revenue but not in client counts. A client is new in the month
    of its first purchase.
#}
with recursive

lines as (
    select * from {{ ref('transactions_fact') }}
),

{# A second import of the fact (comment at product_lines). #}
purchases as (
    select * from {{ ref('transactions_fact') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

{# Product lines before the as-of date, read by monthly_sales alone. Read by three aggregates,
   this CTE of every column made DuckDB hold all of its lines: at 50 M lines they spilled, and
   the statement took 20.2 s against 4.7 s now. first_purchases reads the fact itself. #}
product_lines as (
    select
        lines.*,
        cast({{ dbt.date_trunc('month', 'lines.invoice_date') }} as date) as month_start
    from lines
    cross join as_of
    where
        not lines.is_non_product
        and lines.invoice_date < as_of.as_of_date
),

purchase_lines as (
    select
        purchases.client_key,
        cast({{ dbt.date_trunc('month', 'purchases.invoice_date') }} as date) as month_start
    from purchases
    cross join as_of
    where
        not purchases.is_non_product
        and purchases.invoice_date < as_of.as_of_date
        and purchases.client_key is not null
        and not purchases.is_cancellation
),

monthly_sales as (
    select
        month_start,
        sum(net_amount) as net_revenue,
        sum(case when not is_cancellation then net_amount else 0 end) as gross_sales,
        sum(case when is_cancellation then -net_amount else 0 end) as cancelled_value,
        count(distinct case when not is_cancellation then invoice_no end) as purchase_invoices,
        count(distinct case when not is_cancellation then client_key end) as active_clients
    from product_lines
    group by month_start
),

{# monthly_sales has a row for every month with product lines: the spine's ends. #}
bounds as (
    select
        min(month_start) as first_month,
        max(month_start) as last_month
    from monthly_sales
),

months (month_start) as (
    select first_month from bounds
    where first_month is not null
    union all
    select cast({{ dbt.dateadd('month', 1, 'months.month_start') }} as date)
    from months
    inner join bounds
        on months.month_start < bounds.last_month
),

first_purchases as (
    select
        client_key,
        min(month_start) as first_month
    from purchase_lines
    group by client_key
),

monthly_new_clients as (
    select
        first_month as month_start,
        count(*) as new_clients
    from first_purchases
    group by first_month
),

final as (
    select
        months.month_start,
        {{ dbt.dateadd('month', 1, 'months.month_start') }} <= as_of.as_of_date
            as is_complete_month,
        coalesce(monthly_sales.net_revenue, 0) as net_revenue,
        coalesce(monthly_sales.gross_sales, 0) as gross_sales,
        coalesce(monthly_sales.cancelled_value, 0) as cancelled_value,
        coalesce(monthly_sales.purchase_invoices, 0) as purchase_invoices,
        coalesce(monthly_sales.active_clients, 0) as active_clients,
        coalesce(monthly_new_clients.new_clients, 0) as new_clients
    from months
    cross join as_of
    left join monthly_sales
        on months.month_start = monthly_sales.month_start
    left join monthly_new_clients
        on months.month_start = monthly_new_clients.month_start
)

select * from final
