-- A client score whose distribution moved a lot since the previous recorded as-of date: the
-- population stability index (score_drift) of the date this build recorded reaches
-- var('score_drift_warn_psi'). Worth a look (new data, a changed model, a broken feed); not an
-- error, since a real change in the clients moves the scores too. Builds that record nothing
-- (what-if builds, history_mode off) do not warn again about an older date.
-- docs/model_monitoring.md.
{{ config(severity='warn') }}

with

drift as (
    select * from {{ ref('score_drift') }}
),

this_build as (
    select {{ as_of_date() }} as as_of_date
)

select
    drift.score_name,
    drift.as_of_date,
    drift.previous_as_of_date,
    drift.psi,
    drift.mean_score,
    drift.previous_mean_score
from drift
inner join this_build
    on drift.as_of_date = this_build.as_of_date
where drift.psi >= {{ var('score_drift_warn_psi') }}
