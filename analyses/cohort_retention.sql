{#
    Cohort retention: clients grouped by the month of their first purchase, and the share of
    each cohort buying again 1, 2, 3 … months later. Read along a row for one cohort's decay,
    down a column to compare cohorts at the same age.
#}
with

invoices as (
    select * from {{ ref('int_client_invoices') }}
),

client_months as (
    select distinct
        client_key,
        cast({{ dbt.date_trunc('month', 'invoice_date') }} as date) as purchase_month
    from invoices
),

cohorts as (
    select
        client_key,
        min(purchase_month) as cohort_month
    from client_months
    group by client_key
),

activity as (
    select
        cohorts.cohort_month,
        {{ dbt.datediff('cohorts.cohort_month', 'client_months.purchase_month', 'month') }}
            as months_since_first,
        count(distinct client_months.client_key) as active_clients
    from client_months
    inner join cohorts
        on client_months.client_key = cohorts.client_key
    group by
        cohorts.cohort_month,
        {{ dbt.datediff('cohorts.cohort_month', 'client_months.purchase_month', 'month') }}
),

final as (
    select
        activity.cohort_month,
        activity.months_since_first,
        activity.active_clients,
        round(
            100.0 * activity.active_clients
            / max(case when activity.months_since_first = 0 then activity.active_clients end)
                over (partition by activity.cohort_month),
            1
        ) as percent_retained
    from activity
)

select * from final
order by cohort_month, months_since_first
