{#
    Recency, frequency, monetary value and tenure per golden client as of the as-of date, from
    product lines before that date only (int_client_product_lines). Scores 1-5 are quintiles
    by percent rank among buying clients (5 = most recent / most frequent / highest spend);
    tied values share the lowest score of their group. The named segment comes from the
    rfm_segments seed on (r_score, f_score). Clients with no purchase before the as-of date
    get NULL scores and the segment 'No Purchases'.
#}
with

clients as (
    select * from {{ ref('client_dim') }}
),

lines as (
    select * from {{ ref('int_client_product_lines') }}
),

segments as (
    select * from {{ ref('rfm_segments') }}
),

purchases as (
    select
        client_key,
        min(case when not is_cancellation then invoice_date end) as first_purchase_date,
        max(case when not is_cancellation then invoice_date end) as last_purchase_date,
        count(distinct case when not is_cancellation then invoice_no end) as frequency,
        sum(net_amount) as monetary
    from lines
    group by client_key
),

dated as (
    select
        *,
        {{ as_of_date() }} as as_of_date
    from purchases
    where last_purchase_date is not null
),

measured as (
    select
        *,
        as_of_date - last_purchase_date as recency_days,
        as_of_date - first_purchase_date as tenure_days
    from dated
),

scored as (
    select
        *,
        least(5, 1 + floor(5 * percent_rank() over (order by recency_days desc))) as r_score,
        least(5, 1 + floor(5 * percent_rank() over (order by frequency asc))) as f_score,
        least(5, 1 + floor(5 * percent_rank() over (order by monetary asc))) as m_score
    from measured
),

final as (
    select
        clients.client_key,
        {{ as_of_date() }} as as_of_date,
        scored.first_purchase_date,
        scored.last_purchase_date,
        cast(scored.recency_days as integer) as recency_days,
        cast(coalesce(scored.frequency, 0) as integer) as frequency,
        cast(coalesce(scored.monetary, 0) as decimal(18, 2)) as monetary,
        cast(scored.tenure_days as integer) as tenure_days,
        cast(scored.r_score as integer) as r_score,
        cast(scored.f_score as integer) as f_score,
        cast(scored.m_score as integer) as m_score,
        coalesce(segments.segment_name, 'No Purchases') as segment_name
    from clients
    left join scored
        on clients.client_key = scored.client_key
    left join segments
        on
            scored.r_score between segments.r_score_min and segments.r_score_max
            and scored.f_score between segments.f_score_min and segments.f_score_max
)

select * from final
