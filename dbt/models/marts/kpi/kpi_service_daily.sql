-- Customer-service KPIs per UTC day and ticket channel (phone, chat, email, social) plus channel "all":
-- inquiry volume, resolution rate, first response and full resolution times, one-touch resolution, reopen
-- rate, CSAT. The definitions are those of kpi_service_monthly, written once in macros/kpi/service_kpis.sql.
{{ voc360.service_kpis(grain='day') }}
