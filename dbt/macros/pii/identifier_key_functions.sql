{#
    DuckDB macros (schema voc360_meta) that turn a raw value into its identity-graph node key, normalised and
    hashed exactly as staging does, for the Python code that works on raw before or outside dbt: erasure
    (voc360/erasure.py) finds a person's raw rows with them, and landing (voc360/suppression.py) drops rows
    that carry an erased identifier. Rendered from the same macros as staging, so the keys cannot drift apart;
    the salt is read when a macro runs (hash_pii), never stored with it.

        dbt run-operation create_identifier_key_functions
#}
{% macro create_identifier_key_functions() %}
    {%- set functions = {
        'identity_email_hash(value)': voc360.hash_pii(voc360.normalise_email('value')),
        'identity_email_match_hash(value)': voc360.hash_pii(voc360.email_match_key('value')),
        'identity_phone_hash(value, phone_city, phone_timezone)': voc360.hash_pii(
            voc360.normalise_phone('value', voc360.phone_country(city='phone_city', timezone='phone_timezone'))),
        'identity_handle(value)': voc360.normalise_handle('value'),
    } -%}
    {% do run_query('create schema if not exists voc360_meta') %}
    {%- for signature, body in functions.items() %}
        {% do run_query('create or replace macro voc360_meta.' ~ signature ~ ' as (' ~ body ~ ')') %}
    {%- endfor %}
    {#- the suppression list's key of a node: no clear identifier (e-mail, customer id, order id) is stored -#}
    {% do run_query(
        "create or replace macro voc360_meta.identifier_hash(node_type, node_key) as ("
        ~ voc360.hash_pii("node_type || ':' || node_key") ~ ")"
    ) %}
{% endmacro %}
