{#
    Timestamps arrive as ISO 8601 text. These macros turn them into naive UTC timestamps, whatever the
    session time zone is:

    to_utc_timestamp(expr)         a value with an offset ("+08:00", "+0800", "-05", "Z") is converted
                                   by its offset; a naive value is taken as UTC.
    local_to_utc(expr, tz_expr)    a naive value is wall-clock time in the IANA zone tz_expr (a column
                                   or literal, per row); a value with an offset is still converted by
                                   its offset; an unknown zone gives NULL (the not_null test then names
                                   the rows) rather than failing the whole build.
#}

{#- True when the text ends with a UTC offset or "Z" after a time of day. -#}
{% macro has_utc_offset(expr) -%}
    {{ voc360.regexp_like(expr, "'[0-9]:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)? ?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$'") }}
{%- endmacro %}


{% macro to_utc_timestamp(expr) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'voc360')(expr)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(expr) -%}
    {{ voc360.not_implemented('to_utc_timestamp') }}
{%- endmacro %}

{% macro duckdb__to_utc_timestamp(expr) -%}
    {#- DuckDB's cast to timestamp ignores an offset instead of applying it, hence the two branches -#}
    case
        when {{ voc360.has_utc_offset(expr) }} then timezone('UTC', cast({{ expr }} as timestamptz))
        else cast({{ expr }} as timestamp)
    end
{%- endmacro %}


{#- Spark's cast applies an offset in the session time zone (UTC); it reads a decimal comma as no time. -#}
{% macro spark__to_utc_timestamp(expr) -%}
    cast(replace({{ expr }}, ',', '.') as timestamp)
{%- endmacro %}


{% macro local_to_utc(expr, tz_expr) -%}
    {{ return(adapter.dispatch('local_to_utc', 'voc360')(expr, tz_expr)) }}
{%- endmacro %}

{% macro default__local_to_utc(expr, tz_expr) -%}
    {{ voc360.not_implemented('local_to_utc') }}
{%- endmacro %}

{% macro duckdb__local_to_utc(expr, tz_expr) -%}
    case
        when {{ voc360.has_utc_offset(expr) }} then timezone('UTC', cast({{ expr }} as timestamptz))
        when lower({{ tz_expr }}) in (select lower(name) from pg_timezone_names())
            then timezone('UTC', timezone({{ tz_expr }}, cast({{ expr }} as timestamp)))
    end
{%- endmacro %}


{#- A zone that java.time does not know (names are case-sensitive there) gives NULL, as on DuckDB. -#}
{% macro spark__local_to_utc(expr, tz_expr) -%}
    case
        when {{ voc360.has_utc_offset(expr) }} then {{ voc360.spark__to_utc_timestamp(expr) }}
        when try_reflect('java.time.ZoneId', 'of', {{ tz_expr }}) is not null
            then to_utc_timestamp({{ voc360.spark__to_utc_timestamp(expr) }}, {{ tz_expr }})
    end
{%- endmacro %}
