"""The KPI dashboard: a Streamlit app that reads the published serving database, read-only.

`make dashboard` (or `python -m dashboard`) starts it; `queries` holds what each page reads, `app` the pages.
"""
