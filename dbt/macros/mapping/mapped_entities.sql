{#
    Onboarded sources reach the common models through mapping models: one per source system and common
    entity, listed under the entity in var entity_mappings (dbt_project.yml), each selecting exactly the
    columns below. The common model appends them with union_mapped(entity); an empty list appends nothing.
    See docs/adding_a_source.md.
#}
{% macro mapped_entity_columns(entity) -%}
    {%- set columns = {
        'person': ['record_type', 'record_key', 'person_id', 'anchor_customer_id', 'is_anchor',
                   'person_crm_customers', 'person_records'],
        'order': ['order_source', 'order_id', 'channel', 'person_id', 'customer_id', 'store_id', 'ordered_at',
                  'status', 'currency', 'gross_amount', 'discount_amount', 'shipping_amount', 'net_amount',
                  'is_gift', 'coupon_code', 'item_count'],
        'interaction': ['source', 'source_record_key', 'person_id', 'occurred_at', 'channel', 'kind', 'amount',
                        'currency', 'score', 'text_id'],
        'feedback_text': ['text_id', 'source', 'source_record_key', 'person_id', 'channel', 'created_at', 'text',
                          'review_rating', 'nps_score', 'csat_score'],
        'ticket': ['ticket_id', 'person_id', 'customer_id', 'channel', 'priority', 'created_at', 'created_date',
                   'first_response_at', 'agent_public_replies', 'internal_notes', 'customer_messages',
                   'current_status', 'first_solved_at', 'last_solved_at', 'closed_at', 'reopen_count',
                   'resolved_at'],
    } -%}
    {%- if entity not in columns -%}
        {{ exceptions.raise_compiler_error("unknown common entity " ~ entity ~ "; one of " ~ columns.keys() | list) }}
    {%- endif -%}
    {{ return(columns[entity]) }}
{%- endmacro %}


{% macro union_mapped(entity) -%}
    {%- set mappings = var('entity_mappings', {}) -%}
    {%- for model in mappings.get(entity, []) %}
    union all
    select {{ voc360.mapped_entity_columns(entity) | join(', ') }}
    from {{ ref(model) }}
    {%- endfor %}
{%- endmacro %}


{# Person of a record that only its own source knows: the id int_identity_components gives such an anchor. #}
{% macro mapped_person_id(record_type, record_key) -%}
    'P' || substring({{ dbt.hash(record_type ~ " || ':' || " ~ record_key) }}, 1, 16)
{%- endmacro %}
