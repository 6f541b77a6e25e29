-- Commerce and engagement KPIs per calendar month (UTC) and sales channel plus channel "all": the measures of
-- kpi_daily_channel, and active customers, purchase frequency and engaged customers. The definitions are
-- written once in macros/kpi/commerce_kpis.sql (DESIGN.md, DECISIONLOG.md).
{{ voc360.commerce_kpis(grain='month') }}
