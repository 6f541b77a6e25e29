-- The day spine that MetricFlow (the dbt semantic layer) joins metrics to: one row per day from 2015 to
-- 2035, wider than any loaded history, so cumulative and offset metrics always find their days.
with

days as (

    {{ dbt.date_spine('day', "cast('2015-01-01' as date)", "cast('2036-01-01' as date)") }}

)

select cast(date_day as {{ voc360.type_date() }}) as date_day
from days
