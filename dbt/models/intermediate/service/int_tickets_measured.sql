-- One row per ticket with the service measures of DESIGN.md "KPI definitions", in minutes:
--   first response    creation -> the first agent reply the customer can see (is_public); internal notes
--                     and system messages are not replies; NULL when there is none yet
--   full resolution   creation -> the last move into solved (closed, if the ticket was never solved), only
--                     for tickets that are solved or closed now (a reopened, open ticket is not resolved)
--   one touch         resolved with exactly one public agent reply over the ticket's life
with

tickets as (

    select * from {{ ref('stg_service__tickets') }}

),

messages as (

    select * from {{ ref('stg_service__ticket_messages') }}

),

status_changes as (

    select * from {{ ref('stg_service__ticket_status_changes') }}

),

person_map as (

    select record_key as ticket_id, person_id
    from {{ ref('int_person_map') }}
    where record_type = 'ticket'

),

message_counts as (

    select
        messages.ticket_id,
        min(case
            when messages.author_type = 'agent' and messages.is_public and messages.sent_at >= tickets.created_at
                then messages.sent_at
        end) as first_response_at,
        count(case when messages.author_type = 'agent' and messages.is_public then 1 end) as agent_public_replies,
        count(case when messages.author_type = 'agent' and not messages.is_public then 1 end) as internal_notes,
        count(case when messages.author_type = 'customer' then 1 end) as customer_messages
    from messages
    inner join tickets
        on messages.ticket_id = tickets.ticket_id
    group by messages.ticket_id

),

latest_status as (

    select ticket_id, to_status as current_status
    from (
        select
            ticket_id,
            to_status,
            row_number() over (partition by ticket_id order by changed_at desc, change_id desc) as recency_rank
        from status_changes
    ) as ranked
    where recency_rank = 1

),

status_summary as (

    select
        ticket_id,
        min(case when to_status = 'solved' then changed_at end) as first_solved_at,
        max(case when to_status = 'solved' then changed_at end) as last_solved_at,
        min(case when to_status = 'closed' then changed_at end) as closed_at,
        count(case when is_reopen then 1 end) as reopen_count
    from status_changes
    group by ticket_id

),

measured as (

    select
        tickets.ticket_id,
        person_map.person_id,
        tickets.customer_id,
        tickets.channel,
        tickets.priority,
        tickets.created_at,
        tickets.created_date,
        message_counts.first_response_at,
        coalesce(message_counts.agent_public_replies, 0) as agent_public_replies,
        coalesce(message_counts.internal_notes, 0) as internal_notes,
        coalesce(message_counts.customer_messages, 0) as customer_messages,
        coalesce(latest_status.current_status, 'new') as current_status,
        status_summary.first_solved_at,
        status_summary.last_solved_at,
        status_summary.closed_at,
        coalesce(status_summary.reopen_count, 0) as reopen_count,
        case
            when latest_status.current_status in ('solved', 'closed')
                then coalesce(status_summary.last_solved_at, status_summary.closed_at)
        end as resolved_at
    from tickets
    left join person_map
        on tickets.ticket_id = person_map.ticket_id
    left join message_counts
        on tickets.ticket_id = message_counts.ticket_id
    left join latest_status
        on tickets.ticket_id = latest_status.ticket_id
    left join status_summary
        on tickets.ticket_id = status_summary.ticket_id

    -- conversations of onboarded sources, measured by their mapping models (var entity_mappings)
    {{ voc360.union_mapped('ticket') }}

)

select
    ticket_id,
    person_id,
    customer_id,
    channel,
    priority,
    created_at,
    created_date,
    first_response_at,
    {{ dbt.datediff('created_at', 'first_response_at', 'second') }} / 60.0 as first_response_minutes,
    agent_public_replies,
    internal_notes,
    customer_messages,
    current_status,
    first_solved_at,
    last_solved_at,
    closed_at,
    resolved_at,
    cast(resolved_at as date) as resolved_date,
    resolved_at is not null as is_resolved,
    {{ dbt.datediff('created_at', 'resolved_at', 'second') }} / 60.0 as full_resolution_minutes,
    reopen_count,
    reopen_count > 0 as is_reopened,
    resolved_at is not null and agent_public_replies = 1 as is_one_touch
from measured
