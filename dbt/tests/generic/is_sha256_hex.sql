{#
    Every non-NULL value is a SHA-256 digest in hex (64 characters 0-9a-f): the column holds hashed
    personal data, never the clear value.
#}
{% test is_sha256_hex(model, column_name) %}

select
    {{ column_name }} as not_a_digest
from {{ model }}
where {{ column_name }} is not null
    and not {{ voc360.regexp_like(column_name, "'^[0-9a-f]{64}$'") }}

{% endtest %}
