{#
    History on as-of dates, written only by runs that describe the present.

    A history model stores change rows: (key, recorded_as_of, attributes, is_retired), one row
    whenever a key's compared attributes differ from its latest recorded row, and a retirement
    row (attributes NULL, is_retired true) when a key leaves the current relation (a client
    removed from the delivery, or re-keyed by dedupe). Validity is on as-of dates, never the
    wall clock, so two runs on the same input record the same rows.

    Which runs write (var history_mode):
      auto   (default) a build whose as-of date is derived from the data records at that date;
             a what-if build (var as_of_date given) writes nothing, and neither does a build whose
             derived as-of date falls before the latest recorded one (a corrected delivery that
             withdrew the latest lines: the warn_on_history_not_recorded test says so);
      off    never writes (what-if builds at any date);
      record records at the as-of date, given or derived; refuses, with an error, a date before
             the latest recorded one, because history records forward only;
      rewind discards what was recorded on or after the as-of date, then records it (for a
             delivery correction that invalidates the builds since).
    Recording a date that is already recorded replaces that date's rows (a rebuild on corrected
    input), so alternating builds never stack versions on one date.
#}

{% macro history_modes() %}
    {{ return(['auto', 'off', 'record', 'rewind']) }}
{% endmacro %}

{#
    Whether this run writes the history model it is called from, raising for a refused date.
    Consulted at execution time (it queries the as-of date and the latest recorded date).
#}
{% macro history_is_recorded() %}
    {% set mode = var('history_mode') %}
    {% if mode not in history_modes() %}
        {% do exceptions.raise_compiler_error(
            'var history_mode must be one of ' ~ history_modes() | join(', ') ~ ', not ' ~ mode
        ) %}
    {% endif %}
    {% if mode == 'off' or (mode == 'auto' and var('as_of_date')) %}
        {{ return(false) }}
    {% endif %}
    {% if not execute or var('offline') or not is_incremental() %}
        {{ return(true) }}
    {% endif %}
    {% set dates = run_query(
        'select cast(' ~ as_of_date() ~ ' as ' ~ dbt.type_string() ~ '),'
        ~ ' cast(max(recorded_as_of) as ' ~ dbt.type_string() ~ ') from ' ~ this
    ).rows[0] %}
    {% set as_of, latest = dates[0], dates[1] %}
    {% if latest is none or as_of >= latest or mode == 'rewind' %}
        {{ return(true) }}
    {% endif %}
    {% if mode == 'record' %}
        {% do exceptions.raise_compiler_error(
            this.identifier ~ ': the as-of date ' ~ as_of ~ ' is before the latest recorded date '
            ~ latest ~ '. History records forward only: build with history_mode: rewind to'
            ~ ' discard what was recorded since ' ~ as_of ~ ', or history_mode: off for a what-if.'
        ) %}
    {% endif %}
    {{ return(false) }}
{% endmacro %}

{#
    Pre-hook of a history model: when this run records, the rows it is about to write replace
    whatever was recorded on or after its as-of date.
#}
{% macro clear_recorded_from_as_of() %}
    {% if execute and is_incremental() and history_is_recorded() %}
        delete from {{ this }} where recorded_as_of >= {{ as_of_date() }}
    {% else %}
        select 1 as nothing_to_clear
    {% endif %}
{% endmacro %}

{#
    The change rows of `current` at the as-of date against the latest rows recorded before it
    in `history` (none on a first build): new keys, keys whose compared columns changed, keys
    back after retirement, and retirements of keys that are gone. Carried columns are stored
    with a change but never cause one.
#}
{% macro history_changes(current, history, key, compared, carried=[]) %}
    {%- set stored = compared + carried -%}
    with

    observed as (
        select
            {{ key }},
            {%- for column in stored %}
            {{ column }},
            {%- endfor %}
            {{ as_of_date() }} as recorded_as_of
        from {{ current }}
    ),

    recorded as (
        {%- if history is none %}
        select
            {{ key }},
            {%- for column in stored %}
            {{ column }},
            {%- endfor %}
            cast(null as date) as recorded_as_of,
            cast(null as boolean) as is_retired
        from {{ current }}
        where 1 = 0
        {%- else %}
        select * from {{ history }}
        where recorded_as_of < {{ as_of_date() }}
        {%- endif %}
    ),

    latest as (
        select * from recorded
        qualify row_number() over (partition by {{ key }} order by recorded_as_of desc) = 1
    ),

    changed as (
        select
            observed.*,
            false as is_retired
        from observed
        left join latest
            on observed.{{ key }} = latest.{{ key }}
        where
            latest.{{ key }} is null
            or latest.is_retired
            {%- for column in compared %}
            or observed.{{ column }} is distinct from latest.{{ column }}
            {%- endfor %}
    ),

    retired as (
        select
            latest.{{ key }},
            {%- for column in stored %}
            null as {{ column }},
            {%- endfor %}
            {{ as_of_date() }} as recorded_as_of,
            true as is_retired
        from latest
        left join observed
            on latest.{{ key }} = observed.{{ key }}
        where observed.{{ key }} is null and not latest.is_retired
    )

    select * from changed
    union all
    select * from retired
{%- endmacro %}
