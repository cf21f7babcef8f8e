-- Lines whose buying client record was rejected or is unknown cannot be attributed; more than
-- 2 % of lines is worth a look at stg_crm__clients_rejected.
{{ config(severity='warn') }}

with

transactions as (
    select client_match_status from {{ ref('transactions_fact') }}
),

shares as (
    select
        count(*) as line_count,
        sum(case when client_match_status <> 'matched' then 1 else 0 end) as unmatched_count
    from transactions
)

select
    line_count,
    unmatched_count
from shares
where unmatched_count > 0.02 * line_count
