-- Commerce KPIs per UTC day and sales channel (web, app, mini_program, store) plus channel "all": orders, net
-- revenue, AOV, ordering and new customers, gifts, cancellations, refunds and returns, NPS. The definitions
-- are those of kpi_monthly, written once in macros/kpi/commerce_kpis.sql (DESIGN.md, DECISIONLOG.md).
{{ voc360.commerce_kpis(grain='day') }}
