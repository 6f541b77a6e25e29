-- Web sessions, one row per session: the day and device of its first event, and how far it went in the
-- funnel (kpi_web_funnel_daily counts them).
--   has_cart                 an add-to-cart at or after the session's first product view
--   has_purchase_after_cart  a purchase at or after the session's first such add-to-cart
-- Incremental (macro derived_window_config): a run recomputes the sessions with an event staged in the
-- window, and those that had one, from all of their events; sessions whose events were all withdrawn go.
{{ config(**voc360.derived_window_config(
    unique_key='session_id',
    post_hook="{{ voc360.delete_withdrawn_rows('session_id', ref('stg_web__events')) }}",
)) }}

with

web_events as (

    select * from {{ ref('stg_web__events') }}

),

{% if is_incremental() %}
touched_sessions as (

    select session_id from web_events where {{ voc360.in_landed_window('_partition_date') }}
    union
    select session_id from {{ this }}
    where {{ voc360.overlaps_landed_window('first_partition_date', 'last_partition_date') }}

),
{% endif %}

session_events as (

    select
        *,
        min(case when event_type = 'product_view' then occurred_at end) over (partition by session_id) as first_view_at,
        row_number() over (partition by session_id order by occurred_at, event_id) as event_rank
    from web_events
    {% if is_incremental() %}
    where session_id in (select session_id from touched_sessions)
    {% endif %}

),

carts as (

    select
        session_id,
        min(case when event_type = 'add_to_cart' and occurred_at >= first_view_at then occurred_at end) as first_cart_at
    from session_events
    group by session_id

)

select
    session_events.session_id,
    min(case when session_events.event_rank = 1 then session_events.occurred_date end) as session_date,
    coalesce(min(case when session_events.event_rank = 1 then session_events.device_type end), 'unknown')
        as device_type,
    max(case when session_events.event_type = 'product_view' then 1 else 0 end) as has_product_view,
    max(case when carts.first_cart_at is not null then 1 else 0 end) as has_cart,
    max(case
        when session_events.event_type = 'purchase' and session_events.occurred_at >= carts.first_cart_at then 1
        else 0
    end) as has_purchase_after_cart,
    max(case when session_events.event_type = 'purchase' then 1 else 0 end) as has_any_purchase,
    max(case when session_events.event_type = 'product_view' then session_events.dwell_seconds end)
        as longest_product_view_seconds,
    count(*) as events,
    max(case when session_events.login_id is not null then 1 else 0 end) as is_signed_in,
    min(session_events._partition_date) as first_partition_date,
    max(session_events._partition_date) as last_partition_date
from session_events
inner join carts
    on session_events.session_id = carts.session_id
group by session_events.session_id
