{#
    How each golden client buys, as of the as-of date, from its purchase invoices
    (int_client_invoices): basket size in value, items and distinct products; the time between
    purchases (over distinct purchase days, so two invoices on one day are one purchase
    occasion) as mean and sample standard deviation; and the weekday and hour it buys most
    (ties: the earliest), with the weekday's share of its invoices.
#}
with

clients as (
    select * from {{ ref('client_dim') }}
),

invoices as (
    select * from {{ ref('int_client_invoices') }}
),

baskets as (
    select
        client_key,
        count(*) as purchase_invoices,
        avg(invoice_value) as avg_basket_value,
        avg(item_quantity) as avg_basket_items,
        avg(product_count) as avg_basket_products
    from invoices
    group by client_key
),

purchase_days as (
    select distinct
        client_key,
        invoice_date
    from invoices
),

gaps as (
    select
        client_key,
        invoice_date - lag(invoice_date) over (
            partition by client_key order by invoice_date
        ) as days_since_previous
    from purchase_days
),

gap_stats as (
    select
        client_key,
        avg(days_since_previous) as mean_days_between_purchases,
        stddev_samp(days_since_previous) as stddev_days_between_purchases
    from gaps
    group by client_key
),

weekdays as (
    select
        client_key,
        {{ iso_weekday('invoice_at') }} as purchase_weekday,
        count(*) as invoice_count,
        row_number() over (
            partition by client_key
            order by count(*) desc, {{ iso_weekday('invoice_at') }} asc
        ) as weekday_rank
    from invoices
    group by client_key, {{ iso_weekday('invoice_at') }}
),

hours as (
    select
        client_key,
        extract(hour from invoice_at) as invoice_hour,
        row_number() over (
            partition by client_key
            order by count(*) desc, extract(hour from invoice_at) asc
        ) as hour_rank
    from invoices
    group by client_key, extract(hour from invoice_at)
),

final as (
    select
        clients.client_key,
        cast(coalesce(baskets.purchase_invoices, 0) as integer) as purchase_invoices,
        cast(baskets.avg_basket_value as decimal(18, 2)) as avg_basket_value,
        cast(baskets.avg_basket_items as decimal(18, 2)) as avg_basket_items,
        cast(baskets.avg_basket_products as decimal(18, 2)) as avg_basket_products,
        cast(
            gap_stats.mean_days_between_purchases as decimal(18, 2)
        ) as mean_days_between_purchases,
        cast(
            gap_stats.stddev_days_between_purchases as decimal(18, 2)
        ) as stddev_days_between_purchases,
        cast(weekdays.purchase_weekday as integer) as preferred_weekday,
        cast(
            weekdays.invoice_count / baskets.purchase_invoices as decimal(9, 4)
        ) as preferred_weekday_share,
        cast(hours.invoice_hour as integer) as preferred_hour
    from clients
    left join baskets
        on clients.client_key = baskets.client_key
    left join gap_stats
        on clients.client_key = gap_stats.client_key
    left join weekdays
        on
            clients.client_key = weekdays.client_key
            and weekdays.weekday_rank = 1
    left join hours
        on
            clients.client_key = hours.client_key
            and hours.hour_rank = 1
)

select * from final
