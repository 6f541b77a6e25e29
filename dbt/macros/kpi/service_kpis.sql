{#
    The customer-service KPI mart at a grain ('day': kpi_service_daily, 'month': kpi_service_monthly): one
    row per period and ticket channel (phone, chat, email, social) plus channel "all". Each measure is
    counted in the period its event happened (DECISIONLOG.md):
      tickets_created (inquiry volume), first response median/p90    by the ticket's creation
      tickets_solved, resolution_rate = tickets_solved / tickets_created   by each move into solved
                                                                           (a throughput ratio: it can exceed 1)
      full resolution median/p90, one-touch resolution rate, reopen rate    by the ticket's resolution
      CSAT (ratings 4-5 / all ratings, unrated excluded)                    by the response
    Times in minutes; first response is the first public agent reply (internal notes and system messages are
    not replies), tickets without one are left out of the percentiles.
#}
{% macro service_kpis(grain) -%}
{%- set key = voc360.kpi_period_key(grain) -%}
with

calendar as (

    select * from {{ ref('int_calendar_days') }}

),

tickets as (

    select * from {{ ref('int_tickets_measured') }}

),

status_changes as (

    select * from {{ ref('stg_service__ticket_status_changes') }}

),

csat_responses as (

    select * from {{ ref('stg_surveys__responses') }}
    where survey_type = 'csat'

),

periods as (

    {{ voc360.kpi_periods('calendar', grain) }}

),

ticket_rows as (

    select *, channel as report_channel from tickets
    union all
    select *, 'all' as report_channel from tickets

),

created_kpis as (

    select
        {{ voc360.kpi_period('created_date', grain) }} as {{ key }},
        report_channel as channel,
        count(*) as tickets_created,
        {{ voc360.response_time_aggregates() }}
    from ticket_rows
    group by {{ voc360.kpi_period('created_date', grain) }}, report_channel

),

resolved_kpis as (

    select
        {{ voc360.kpi_period('resolved_date', grain) }} as {{ key }},
        report_channel as channel,
        {{ voc360.resolution_aggregates() }}
    from ticket_rows
    where is_resolved
    group by {{ voc360.kpi_period('resolved_date', grain) }}, report_channel

),

solves as (

    select distinct
        status_changes.changed_date,
        status_changes.ticket_id,
        tickets.channel
    from status_changes
    inner join tickets
        on status_changes.ticket_id = tickets.ticket_id
    where status_changes.to_status = 'solved'

),

solved_kpis as (

    select
        {{ voc360.kpi_period('changed_date', grain) }} as {{ key }},
        report_channel as channel,
        count(distinct ticket_id) as tickets_solved
    from (
        select changed_date, ticket_id, channel as report_channel from solves
        union all
        select changed_date, ticket_id, 'all' from solves
    ) as solve_rows
    group by {{ voc360.kpi_period('changed_date', grain) }}, report_channel

),

csat_rows as (

    select csat_responses.responded_date, tickets.channel as report_channel, csat_responses.score
    from csat_responses
    inner join tickets
        on csat_responses.ticket_id = tickets.ticket_id

    union all

    select responded_date, 'all', score from csat_responses

),

csat_kpis as (

    select
        {{ voc360.kpi_period('responded_date', grain) }} as {{ key }},
        report_channel as channel,
        {{ voc360.csat_aggregates('score') }}
    from csat_rows
    group by {{ voc360.kpi_period('responded_date', grain) }}, report_channel

),

channels as (

    select report_channel as channel from ticket_rows
    union
    select report_channel from csat_rows

),

grid as (

    select periods.*, channels.channel
    from periods
    cross join channels

)

select
    {{ voc360.kpi_period_columns('grid', grain) }},
    grid.channel,
    coalesce(created_kpis.tickets_created, 0) as tickets_created,
    coalesce(solved_kpis.tickets_solved, 0) as tickets_solved,
    {{ voc360.safe_divide('coalesce(solved_kpis.tickets_solved, 0)', 'created_kpis.tickets_created') }} as resolution_rate,
    coalesce(created_kpis.tickets_with_first_response, 0) as tickets_with_first_response,
    created_kpis.first_response_minutes_median,
    created_kpis.first_response_minutes_p90,
    coalesce(resolved_kpis.tickets_resolved, 0) as tickets_resolved,
    resolved_kpis.full_resolution_minutes_median,
    resolved_kpis.full_resolution_minutes_p90,
    coalesce(resolved_kpis.tickets_resolved_one_touch, 0) as tickets_resolved_one_touch,
    resolved_kpis.one_touch_resolution_rate,
    coalesce(resolved_kpis.tickets_resolved_after_reopen, 0) as tickets_resolved_after_reopen,
    resolved_kpis.reopen_rate,
    coalesce(csat_kpis.csat_responses, 0) as csat_responses,
    coalesce(csat_kpis.csat_satisfied, 0) as csat_satisfied,
    csat_kpis.csat
from grid
left join created_kpis
    on grid.{{ key }} = created_kpis.{{ key }}
    and grid.channel = created_kpis.channel
left join resolved_kpis
    on grid.{{ key }} = resolved_kpis.{{ key }}
    and grid.channel = resolved_kpis.channel
left join solved_kpis
    on grid.{{ key }} = solved_kpis.{{ key }}
    and grid.channel = solved_kpis.channel
left join csat_kpis
    on grid.{{ key }} = csat_kpis.{{ key }}
    and grid.channel = csat_kpis.channel
{%- endmacro %}
