-- Every (recency, frequency) score cell of the 5 × 5 grid must map to exactly one segment rule.
with

scores as (
    select generated_number as score
    from ({{ dbt.generate_series(5) }}) as series
),

cells as (
    select
        r_scores.score as r_score,
        f_scores.score as f_score
    from scores as r_scores
    cross join scores as f_scores
),

segments as (
    select * from {{ ref('rfm_segments') }}
),

coverage as (
    select
        cells.r_score,
        cells.f_score,
        count(segments.segment_rule_id) as matching_rules
    from cells
    left join segments
        on
            cells.r_score between segments.r_score_min and segments.r_score_max
            and cells.f_score between segments.f_score_min and segments.f_score_max
    group by cells.r_score, cells.f_score
)

select * from coverage
where matching_rules <> 1
