{#
    int_identity_components is incremental on DuckDB: a run resolves again only the components that hold a
    node whose links or CRM record changed since the last run, and keeps every other row. What the table was
    built from is kept beside it, written by its post_hooks in the same transaction: the links
    (int_identity_components__links) and the CRM customers that rank the anchors
    (int_identity_components__crm_customers). Without them (a table built before they existed) a run resolves
    every node again. On Spark it is a table, rebuilt in full.
#}
{% macro identity_components_config() -%}
    {{ return(adapter.dispatch('identity_components_config', 'voc360')()) }}
{%- endmacro %}

{% macro default__identity_components_config() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': 'node_id',
        'on_schema_change': 'fail',
        'pre_hook': '{{ voc360.clear_unless_identity_graph_kept() }}',
        'post_hook': [
            '{{ voc360.delete_gone_nodes() }}',
            '{{ voc360.keep_identity_links() }}',
            '{{ voc360.keep_identity_crm_customers() }}',
        ],
    }) }}
{%- endmacro %}

{% macro spark__identity_components_config() -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}


{% macro kept_identity_links() -%}
    {{ return(this.incorporate(path={'identifier': this.identifier ~ '__links'})) }}
{%- endmacro %}

{% macro kept_identity_crm_customers() -%}
    {{ return(this.incorporate(path={'identifier': this.identifier ~ '__crm_customers'})) }}
{%- endmacro %}

{# Whether this run can resolve only what changed: an incremental run with what the table was built from. #}
{% macro identity_graph_kept() -%}
    {{ return(is_incremental()
              and load_relation(voc360.kept_identity_links()) is not none
              and load_relation(voc360.kept_identity_crm_customers()) is not none) }}
{%- endmacro %}

{# pre_hook: an incremental run that resolves every node replaces every row (a node may have gone). #}
{% macro clear_unless_identity_graph_kept() -%}
    {%- if is_incremental() and not voc360.identity_graph_kept() -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}

{# post_hook: a node gone from the graph comes back from the run as a row without a person, which took the
   place of its old row (delete+insert); remove it. #}
{% macro delete_gone_nodes() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where person_id is null
    {%- endif -%}
{%- endmacro %}

{% macro keep_identity_links() -%}
    create or replace table {{ voc360.kept_identity_links() }} as
    select distinct record_type, record_key, linked_type, linked_key from {{ ref('int_identity_links') }}
{%- endmacro %}

{% macro keep_identity_crm_customers() -%}
    create or replace table {{ voc360.kept_identity_crm_customers() }} as
    select customer_id, signup_at from {{ ref('stg_crm__customers') }}
{%- endmacro %}
