-- One row per UTC day from the first to the last day with activity (any touch in int_interactions except
-- CRM signups, which reach back years before the history that was loaded): the spine of the daily KPI marts,
-- so a day without orders or tickets reports zero rather than being missing.
{%- set bounds = "(select AGG(occurred_date) from " ~ ref('int_interactions') ~ " where source <> 'crm_customers')" %}

with

spine as (

    {{ dbt.date_spine(
        'day',
        "cast(coalesce(" ~ bounds.replace('AGG', 'min') ~ ", current_date) as date)",
        "cast(" ~ dbt.dateadd('day', 1, "coalesce(" ~ bounds.replace('AGG', 'max') ~ ", current_date)") ~ " as date)",
    ) }}

)

select
    cast(date_day as date) as date_day,
    cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
    cast({{ dbt.last_day('date_day', 'month') }} as date) as month_end
from spine
