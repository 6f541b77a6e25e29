-- Customer-service KPIs per calendar month (UTC) and ticket channel (phone, chat, email, social) plus channel
-- "all": the measures of kpi_service_daily by month. The definitions are written once in
-- macros/kpi/service_kpis.sql (DECISIONLOG.md).
{{ voc360.service_kpis(grain='month') }}
