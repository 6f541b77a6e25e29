{#
    select * from a source table that a Python asset writes, or, when the table does not exist yet, an
    empty relation with the given columns ({name: type}). A plain `dbt build` on a fresh warehouse (before
    the identity step has ever run) then builds with the deterministic links only, and says so in the
    log; under Dagster the asset always runs first, so the table is there.
#}
{% macro optional_source(source_name, table_name, columns) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set existing = adapter.get_relation(relation.database, relation.schema, relation.identifier) if execute else relation -%}
    {%- if existing is none -%}
        {{ log("source " ~ source_name ~ "." ~ table_name ~ " does not exist yet: read as empty", info=true) }}
        select
            {%- for name, type in columns.items() %}
            cast(null as {{ type }}) as {{ name }}{{ "," if not loop.last }}
            {%- endfor %}
        where 1 = 0
    {%- else -%}
        select * from {{ relation }}
    {%- endif -%}
{%- endmacro %}
