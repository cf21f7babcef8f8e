{#
    A ratio clamped to [0, 1], NULL staying NULL. Not greatest/least: DuckDB's skip NULL
    arguments while Snowflake's return NULL, so the two targets would disagree on missing data.
#}
{% macro unit_clamp(expr) -%}
    case
        when ({{ expr }}) < 0 then 0.0
        when ({{ expr }}) > 1 then 1.0
        else ({{ expr }})
    end
{%- endmacro %}
