{#
    Net spend per golden client in the 12 months before the as-of date and in the 12 months
    before that (for growth). Cancellations count negatively; non-product lines (postage,
    fees) do not count. Clients with no purchases have zero spend.
#}
with

clients as (
    select * from {{ ref('client_dim') }}
),

{# The fact already carries each line's golden client: resolving client ids again from the
    staged lines cost a second pass over every line. #}
lines as (
    select * from {{ ref('transactions_fact') }}
    where client_key is not null and not is_non_product
),

dated_lines as (
    select
        client_key,
        net_amount as line_amount,
        invoice_date,
        {{ as_of_date() }} as as_of_date
    from lines
),

windowed as (
    select
        client_key,
        sum(case
            when invoice_date >= {{ dbt.dateadd('month', -12, 'as_of_date') }}
                and invoice_date < as_of_date
                then line_amount
            else 0
        end) as spend_12m,
        sum(case
            when invoice_date >= {{ dbt.dateadd('month', -24, 'as_of_date') }}
                and invoice_date < {{ dbt.dateadd('month', -12, 'as_of_date') }}
                then line_amount
            else 0
        end) as spend_prior_12m
    from dated_lines
    group by client_key
),

final as (
    select
        clients.client_key,
        cast(coalesce(windowed.spend_12m, 0) as decimal(18, 2)) as spend_12m,
        cast(coalesce(windowed.spend_prior_12m, 0) as decimal(18, 2)) as spend_prior_12m
    from clients
    left join windowed
        on clients.client_key = windowed.client_key
)

select * from final
