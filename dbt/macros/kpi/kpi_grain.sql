{#
    Reporting grains of the KPI marts. A KPI is written once, as a macro that takes the grain, and each
    grain's mart calls it: daily and monthly figures come from the same SQL and cannot drift apart.

    day    one row per UTC date: date_day, month_start
    month  one row per calendar month: month_start, month_end, is_complete_month (false for a month that
           the loaded history covers only in part)
#}

{% macro kpi_check_grain(grain) -%}
    {%- if grain not in ('day', 'month') -%}
        {{ exceptions.raise_compiler_error("KPI grain must be 'day' or 'month', got '" ~ grain ~ "'") }}
    {%- endif -%}
{%- endmacro %}


{# The column that names a period at the grain (the join key between a period and its aggregates). #}
{% macro kpi_period_key(grain) -%}
    {{- voc360.kpi_check_grain(grain) -}}
    {{- 'date_day' if grain == 'day' else 'month_start' -}}
{%- endmacro %}


{# The period (as its key value) that a date falls in at the grain. #}
{% macro kpi_period(date_expr, grain) -%}
    {{- voc360.kpi_check_grain(grain) -}}
    {%- if grain == 'day' -%}
        {{ date_expr }}
    {%- else -%}
        cast({{ dbt.date_trunc('month', date_expr) }} as date)
    {%- endif -%}
{%- endmacro %}


{# A select of the periods at the grain from a calendar relation (int_calendar_days), with their columns. #}
{% macro kpi_periods(calendar, grain) -%}
    {{- voc360.kpi_check_grain(grain) -}}
    {%- if grain == 'day' -%}
    select date_day, month_start from {{ calendar }}
    {%- else -%}
    select
        month_start,
        month_end,
        min(date_day) = month_start and max(date_day) = month_end as is_complete_month
    from {{ calendar }}
    group by month_start, month_end
    {%- endif -%}
{%- endmacro %}


{# The period columns of a KPI mart, qualified by `relation`, in the order the marts publish them. #}
{% macro kpi_period_columns(relation, grain) -%}
    {{- voc360.kpi_check_grain(grain) -}}
    {%- if grain == 'day' -%}
    {{ relation }}.date_day,
    {{ relation }}.month_start
    {%- else -%}
    {{ relation }}.month_start,
    {{ relation }}.month_end,
    {{ relation }}.is_complete_month
    {%- endif -%}
{%- endmacro %}
