{#
    All six feature families side by side, one row per golden client as of the as-of date:
    value (rfm), product, behaviour, location, cancellation and temporal. The table analysts
    and the scoring models start from; each family's mart documents how its columns are
    computed.
#}
with

rfm as (
    select * from {{ ref('rfm') }}
),

product as (
    select * from {{ ref('client_features_product') }}
),

behaviour as (
    select * from {{ ref('client_features_behaviour') }}
),

location as (
    select * from {{ ref('client_features_location') }}
),

cancellation as (
    select * from {{ ref('client_features_cancellation') }}
),

temporal as (
    select * from {{ ref('client_features_temporal') }}
),

final as (
    select
        rfm.client_key,
        rfm.as_of_date,
        rfm.recency_days,
        rfm.frequency,
        rfm.monetary,
        rfm.tenure_days,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.segment_name as rfm_segment,
        product.distinct_products,
        product.distinct_categories,
        product.repeat_product_share,
        product.favourite_category,
        product.favourite_category_share,
        behaviour.avg_basket_value,
        behaviour.avg_basket_items,
        behaviour.avg_basket_products,
        behaviour.mean_days_between_purchases,
        behaviour.stddev_days_between_purchases,
        behaviour.preferred_weekday,
        behaviour.preferred_weekday_share,
        behaviour.preferred_hour,
        location.home_country,
        location.home_region,
        location.is_domestic_client,
        location.countries_shipped_to,
        location.international_spend_share,
        cancellation.cancelled_invoices,
        cancellation.cancellation_rate,
        cancellation.cancelled_value,
        cancellation.cancelled_value_share,
        temporal.spend_last_12_months,
        temporal.monthly_trend_slope,
        temporal.monthly_trend_ratio,
        temporal.peak_calendar_month,
        temporal.peak_month_share,
        temporal.q4_spend_share
    from rfm
    inner join product
        on rfm.client_key = product.client_key
    inner join behaviour
        on rfm.client_key = behaviour.client_key
    inner join location
        on rfm.client_key = location.client_key
    inner join cancellation
        on rfm.client_key = cancellation.client_key
    inner join temporal
        on rfm.client_key = temporal.client_key
)

select * from final
