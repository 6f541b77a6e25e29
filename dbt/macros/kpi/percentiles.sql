{#
    Exact percentiles as aggregates (continuous: interpolated between the two nearest values). Engines
    name them differently, hence the dispatch; NULLs are ignored, an empty group gives NULL.
#}
{% macro median(expr) -%}
    {{ return(adapter.dispatch('median', 'voc360')(expr)) }}
{%- endmacro %}

{% macro default__median(expr) -%}
    {{ voc360.percentile_cont(expr, 0.5) }}
{%- endmacro %}


{% macro percentile_cont(expr, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'voc360')(expr, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(expr, fraction) -%}
    {{ voc360.not_implemented('percentile_cont') }}
{%- endmacro %}

{% macro duckdb__percentile_cont(expr, fraction) -%}
    quantile_cont({{ expr }}, {{ fraction }})
{%- endmacro %}

{% macro spark__percentile_cont(expr, fraction) -%}
    percentile({{ expr }}, {{ fraction }})
{%- endmacro %}
