{#
    Scores on a 0-1 scale that saturate: 0.5 at the midpoint, about 0.73 one scale above it and
    0.27 one below, 0.95 / 0.05 three scales away. The argument of exp is cut at +-30 (beyond it
    the score is 0 or 1 to 13 decimals) so neither target can overflow. NULL stays NULL.
#}
{% macro logistic_score(expr, midpoint, scale) -%}
    case
        when ({{ expr }}) is null then null
        when (({{ expr }}) - {{ midpoint }}) / {{ scale }} > 30 then 1.0
        when (({{ expr }}) - {{ midpoint }}) / {{ scale }} < -30 then 0.0
        else 1 / (1 + exp(-(({{ expr }}) - {{ midpoint }}) / {{ scale }}))
    end
{%- endmacro %}

{#
    A year-on-year (or any) change scored on the log of the ratio current / previous, so a
    halving and a doubling are equally far from flat (0.5): logistic_score(ln(ratio), 0, scale).
    NULL when there is nothing to compare with (previous NULL or not positive); 0 when the
    current value fell to zero or below.
#}
{% macro ratio_score(current, previous, scale) -%}
    case
        when ({{ previous }}) is null or ({{ previous }}) <= 0 or ({{ current }}) is null
            then null
        when ({{ current }}) <= 0 then 0.0
        else {{ logistic_score('ln((' ~ current ~ ') / (' ~ previous ~ '))', 0, scale) }}
    end
{%- endmacro %}
