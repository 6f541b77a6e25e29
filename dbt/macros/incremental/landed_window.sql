{#
    Incremental staging driven by the landing partitions (export days) of a run.

    A Dagster run passes the partition window (inclusive export days) as environment variables
    VOC360_WINDOW_MIN_DATE / VOC360_WINDOW_MAX_DATE; from dbt's command line, give vars min_date / max_date.
    The window is widened back by var lookback_days, so a late file that re-landed an older export day (the
    sensor re-lands it) is picked up by the next run. Without either the window covers all time.

    An incremental run rebuilds exactly the keys that occur in the window: every landed copy of those keys
    is read again, from any export day, so the earliest landed copy still wins the dedupe whatever order the
    days were loaded in; rows whose winning copy came from the window are deleted first (pre-hook
    delete_landed_window), so a record that a corrected re-export no longer carries disappears too. The
    result equals a full build for any window.

    On Spark (insert_overwrite) the table is partitioned by _partition_date, the export day of each row's
    winning copy, and an incremental run replaces whole partitions: it reads every landed copy of the keys
    whose earliest copy was landed in the window, so each rebuilt partition is complete. Keys first landed
    before the window keep their winning copy and are not rewritten (an export day in the window that no
    longer holds any record keeps its old rows until a full refresh).
#}

{# The model config of an incremental staging model with key unique_key, by adapter. #}
{% macro landed_window_config(unique_key) -%}
    {{ return(adapter.dispatch('landed_window_config', 'voc360')(unique_key)) }}
{%- endmacro %}

{% macro default__landed_window_config(unique_key) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': unique_key,
        'on_schema_change': 'fail',
        'pre_hook': '{{ voc360.delete_landed_window() }}',
    }) }}
{%- endmacro %}

{% macro spark__landed_window_config(unique_key) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': ['_partition_date'],
        'file_format': 'parquet',
        'on_schema_change': 'fail',
    }) }}
{%- endmacro %}

{# One end of the window: var var_name when given (a dbt command line, a unit test), else environment variable
   env_name (a Dagster run sets it), else `everything`. The environment is read only at run time, so that dbt's
   parse of the project never depends on it: a change of vars makes dbt parse the whole project again. #}
{% macro landed_window_bound(var_name, env_name, everything) -%}
    {%- set given = var(var_name, none) -%}
    {%- if given is none and execute -%}
        {%- set given = env_var(env_name, '') -%}
    {%- endif -%}
    {{ return(modules.datetime.date.fromisoformat((given or everything) | string)) }}
{%- endmacro %}

{% macro landed_window_bounds() -%}
    {%- set lookback = var('lookback_days') | int -%}
    {%- set first = voc360.landed_window_bound('min_date', 'VOC360_WINDOW_MIN_DATE', '1900-01-01') -%}
    {%- set last = voc360.landed_window_bound('max_date', 'VOC360_WINDOW_MAX_DATE', '9999-12-31') -%}
    {%- if first > last -%}
        {{ exceptions.raise_compiler_error("var min_date " ~ first ~ " is after max_date " ~ last) }}
    {%- endif -%}
    {{ return([(first - modules.datetime.timedelta(days=lookback)).isoformat(), last.isoformat()]) }}
{%- endmacro %}


{% macro in_landed_window(column) -%}
    {%- set bounds = voc360.landed_window_bounds() -%}
    {{ column }} between cast('{{ bounds[0] }}' as date) and cast('{{ bounds[1] }}' as date)
{%- endmacro %}


{# The raw rows to (re)build: all of them in a full build, else every landed copy of the keys in the window. #}
{% macro incremental_source(source_name, table_name, key_columns) -%}
    {{ return(adapter.dispatch('incremental_source', 'voc360')(source_name, table_name, key_columns)) }}
{%- endmacro %}

{% macro default__incremental_source(source_name, table_name, key_columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    select * from {{ relation }} as landed
    {%- if is_incremental() %}
    where exists (
        select 1
        from {{ relation }} as in_window
        where {{ voc360.in_landed_window('in_window._partition_date') }}
        {%- for key in key_columns %}
            and in_window.{{ key }} is not distinct from landed.{{ key }}
        {%- endfor %}
    )
    {%- endif %}
{%- endmacro %}


{# Spark: every landed copy of the keys whose earliest copy is in the window (whole partitions). #}
{% macro spark__incremental_source(source_name, table_name, key_columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    select * from {{ relation }} as landed
    {%- if is_incremental() %}
    where ({{ key_columns | join(', ') }}) in (
        select {{ key_columns | join(', ') }}
        from {{ relation }}
        group by {{ key_columns | join(', ') }}
        having {{ voc360.in_landed_window('min(_partition_date)') }}
    )
    {%- endif %}
{%- endmacro %}


{# The rows of an incremental model that a run rebuilds: those whose winning copy was landed in the window
   (and, including_unlanded, those that have no export day: int_interactions rebuilds them every run). #}
{% macro rebuilt_by_run(including_unlanded=false) -%}
    ({{ voc360.in_landed_window('_partition_date') }}{% if including_unlanded %} or _partition_date is null{% endif %})
{%- endmacro %}

{# pre_hook of an incremental model: drop the rows the run rebuilds. #}
{% macro delete_landed_window(including_unlanded=false) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ voc360.rebuilt_by_run(including_unlanded) }}
    {%- endif -%}
{%- endmacro %}


{#
    Incremental models derived from incremental staging rebuild what a run touched, with delete+insert on
    their key, and equal a full build for any window:
    - int_interactions holds one row per staged record: a pre_hook (delete_landed_window) drops the rows of
      the window, which are all rebuilt, so a withdrawn record goes with them;
    - int_web_sessions holds one row per session, from many records: it recomputes every session with a
      record staged in the window, or that had one (it keeps the first and last export day of its records),
      from all of its records, and a post_hook (delete_withdrawn_rows) drops the sessions left without any.
    On Spark they are tables, rebuilt in full.
#}
{% macro derived_window_config(unique_key, post_hook, pre_hook=none) -%}
    {{ return(adapter.dispatch('derived_window_config', 'voc360')(unique_key, post_hook, pre_hook)) }}
{%- endmacro %}

{% macro default__derived_window_config(unique_key, post_hook, pre_hook) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': unique_key,
        'on_schema_change': 'fail',
        'pre_hook': pre_hook or [],
        'post_hook': post_hook,
    }) }}
{%- endmacro %}

{% macro spark__derived_window_config(unique_key, post_hook, pre_hook) -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}


{# Whether a row whose records were landed between export days first_column and last_column may hold one of
   the window's. #}
{% macro overlaps_landed_window(first_column, last_column) -%}
    {%- set bounds = voc360.landed_window_bounds() -%}
    {{ first_column }} <= cast('{{ bounds[1] }}' as date) and {{ last_column }} >= cast('{{ bounds[0] }}' as date)
{%- endmacro %}


{# post_hook of a derived incremental model: drop its rows of the window whose key no longer occurs in source. #}
{% macro delete_withdrawn_rows(key, source) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as kept
        where {{ voc360.overlaps_landed_window('kept.first_partition_date', 'kept.last_partition_date') }}
            and not exists (select 1 from {{ source }} as staged where staged.{{ key }} = kept.{{ key }})
    {%- endif -%}
{%- endmacro %}


{# The person map an incremental int_interactions was built with (its post_hook keep_person_map writes it). #}
{% macro kept_person_map() -%}
    {{ return(this.incorporate(path={'identifier': this.identifier ~ '__person_map'})) }}
{%- endmacro %}

{% macro keep_person_map() -%}
    create or replace table {{ voc360.kept_person_map() }} as
    select record_type, record_key, person_id from {{ ref('int_person_map') }}
{%- endmacro %}
