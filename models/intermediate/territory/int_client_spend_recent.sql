{#
    Net spend per golden client in the 12 months before the as-of date and in the 12 months
    before that (for growth). Cancellations count negatively; non-product lines (postage,
    fees) do not count. Clients with no purchases have zero spend.
#}
with

clients as (
    select * from {{ ref('client_dim') }}
),

xref as (
    select * from {{ ref('client_xref') }}
),

transactions as (
    select * from {{ ref('stg_crm__transactions') }}
    where not is_non_product
),

dated_lines as (
    select
        xref.client_key,
        transactions.line_amount,
        transactions.invoice_date,
        {{ as_of_date() }} as as_of_date
    from transactions
    inner join xref
        on transactions.client_id = xref.source_client_id
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
