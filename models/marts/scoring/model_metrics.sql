{#
    Fit parameters and quality metrics of every model in the warehouse, one row per model and
    metric, stamped with the as-of date: BG/NBD, MBG/NBD and Gamma-Gamma parameters,
    log-likelihoods and holdout fit, every churn candidate's out-of-time validation AUC, PR-AUC
    and Brier score and which one won, KMeans silhouettes, cluster sizes and
    explained variance, and the client dedupe's precision and recall. A model that could not be
    fitted reports a fit_status row with the reason in message.
#}
with

clv as (
    select * from {{ ref('int_client_clv') }}
),

churn as (
    select * from {{ ref('int_client_churn') }}
),

segments as (
    select * from {{ ref('int_client_segments') }}
),

dedupe as (
    select * from {{ ref('dedupe_evaluation') }}
),

as_of as (
    select max(as_of_date) as as_of_date from {{ ref('rfm') }}
),

scoring_metrics as (
    {%- for scoring_model in ['clv', 'churn', 'segments'] %}
    select
        model_name,
        metric_name,
        metric_value,
        message
    from {{ scoring_model }}
    where row_type = 'metric'
    {{ 'union all' if not loop.last }}
    {%- endfor %}
),

all_metrics as (
    select
        model_name,
        metric_name,
        metric_value,
        message
    from scoring_metrics
    union all
    select
        model_name,
        metric_name,
        metric_value,
        cast(null as {{ dbt.type_string() }}) as message
    from dedupe
),

final as (
    select
        cast(all_metrics.model_name as {{ dbt.type_string() }}) as model_name,
        cast(all_metrics.metric_name as {{ dbt.type_string() }}) as metric_name,
        cast(all_metrics.metric_value as double) as metric_value,
        cast(all_metrics.message as {{ dbt.type_string() }}) as message,
        as_of.as_of_date
    from all_metrics
    cross join as_of
)

select * from final
