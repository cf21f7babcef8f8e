-- Hierarchy cycles are source data errors: surface them on every build without failing it.
{{ config(severity='warn') }}

select
    client_key,
    cycle_path
from {{ ref('client_hierarchy_cycles') }}
