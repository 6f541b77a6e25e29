{#
    One definition per KPI (DESIGN.md "KPI definitions", DECISIONLOG.md), used by every mart that reports
    it, so daily, monthly and per-channel figures cannot drift apart. Each macro renders aggregate
    columns for a select with a GROUP BY.
#}

{# numerator / denominator as a double; NULL when the denominator is 0 or NULL. #}
{% macro safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as {{ voc360.type_double() }}) / nullif(cast({{ denominator }} as {{ voc360.type_double() }}), 0)
{%- endmacro %}


{#
    NPS from 0-10 scores: promoters 9-10, passives 7-8, detractors 0-6; nps = %promoters - %detractors
    (-100..100) over the responses with a score; unscored responses are not counted.
#}
{% macro nps_aggregates(score, prefix='') -%}
    count(case when {{ score }} between 9 and 10 then 1 end) as {{ prefix }}nps_promoters,
    count(case when {{ score }} between 7 and 8 then 1 end) as {{ prefix }}nps_passives,
    count(case when {{ score }} between 0 and 6 then 1 end) as {{ prefix }}nps_detractors,
    count(case when {{ score }} between 0 and 10 then 1 end) as {{ prefix }}nps_responses,
    100.0 * {{ voc360.safe_divide(
        'count(case when ' ~ score ~ ' between 9 and 10 then 1 end) - count(case when ' ~ score ~ ' between 0 and 6 then 1 end)',
        'count(case when ' ~ score ~ ' between 0 and 10 then 1 end)') }} as {{ prefix }}nps
{%- endmacro %}


{#
    CSAT from 1-5 ratings: share of ratings that are 4 or 5 (0..1); unrated responses (NULL) are
    excluded from the denominator, not counted as unsatisfied.
#}
{% macro csat_aggregates(score, prefix='') -%}
    count(case when {{ score }} between 4 and 5 then 1 end) as {{ prefix }}csat_satisfied,
    count(case when {{ score }} between 1 and 5 then 1 end) as {{ prefix }}csat_responses,
    {{ voc360.safe_divide(
        'count(case when ' ~ score ~ ' between 4 and 5 then 1 end)',
        'count(case when ' ~ score ~ ' between 1 and 5 then 1 end)') }} as {{ prefix }}csat
{%- endmacro %}


{#
    Orders, net revenue and AOV over fct_orders rows: only completed orders count (cancelled and refunded
    orders and store returns are excluded from both revenue and the order count); money in the reporting
    currency.
#}
{% macro order_aggregates(is_countable='is_completed', amount='net_amount_reporting', person='person_id') -%}
    count(case when {{ is_countable }} then 1 end) as orders,
    coalesce(sum(case when {{ is_countable }} then {{ amount }} end), 0) as net_revenue,
    {{ voc360.safe_divide(
        'sum(case when ' ~ is_countable ~ ' then ' ~ amount ~ ' end)',
        'count(case when ' ~ is_countable ~ ' then 1 end)') }} as aov,
    count(distinct case when {{ is_countable }} then {{ person }} end) as ordering_customers
{%- endmacro %}


{#
    Service times over int_tickets_measured rows, in minutes rounded to 0.01: first response (the first
    public agent reply; tickets without one are left out) and full resolution, each as median and 90th
    percentile (continuous, interpolated).
#}
{% macro response_time_aggregates(first_response='first_response_minutes') -%}
    count({{ first_response }}) as tickets_with_first_response,
    round({{ voc360.median(first_response) }}, 2) as first_response_minutes_median,
    round({{ voc360.percentile_cont(first_response, 0.9) }}, 2) as first_response_minutes_p90
{%- endmacro %}

{% macro resolution_aggregates(is_resolved='is_resolved', resolution='full_resolution_minutes', replies='agent_public_replies', reopens='reopen_count') -%}
    count(case when {{ is_resolved }} then 1 end) as tickets_resolved,
    round({{ voc360.median('case when ' ~ is_resolved ~ ' then ' ~ resolution ~ ' end') }}, 2) as full_resolution_minutes_median,
    round({{ voc360.percentile_cont('case when ' ~ is_resolved ~ ' then ' ~ resolution ~ ' end', 0.9) }}, 2) as full_resolution_minutes_p90,
    count(case when {{ is_resolved }} and {{ replies }} = 1 then 1 end) as tickets_resolved_one_touch,
    {{ voc360.safe_divide(
        'count(case when ' ~ is_resolved ~ ' and ' ~ replies ~ ' = 1 then 1 end)',
        'count(case when ' ~ is_resolved ~ ' then 1 end)') }} as one_touch_resolution_rate,
    count(case when {{ is_resolved }} and {{ reopens }} > 0 then 1 end) as tickets_resolved_after_reopen,
    {{ voc360.safe_divide(
        'count(case when ' ~ is_resolved ~ ' and ' ~ reopens ~ ' > 0 then 1 end)',
        'count(case when ' ~ is_resolved ~ ' then 1 end)') }} as reopen_rate
{%- endmacro %}


{# An amount in its currency converted to the reporting currency (vars currency_rates_to_reporting). #}
{% macro to_reporting_currency(amount, currency) -%}
    {%- set rates = var('currency_rates_to_reporting') -%}
    case {{ currency }}
        {%- for code, rate in rates.items() %}
        when '{{ code }}' then {{ amount }} * {{ rate }}
        {%- endfor %}
    end
{%- endmacro %}


{# Currency of a store receipt from the store's IANA time zone (var pos_currency_by_timezone). #}
{% macro pos_currency(timezone) -%}
    {%- set zones = var('pos_currency_by_timezone') -%}
    case {{ timezone }}
        {%- for zone, code in zones.items() %}
        when '{{ zone }}' then '{{ code }}'
        {%- endfor %}
    end
{%- endmacro %}
