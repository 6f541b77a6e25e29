{#
    Canonical form of an e-mail address: lower case, without any whitespace or a "mailto:" prefix; NULL
    when the value does not look like an address (one "@", a dot in the domain). Provider-specific
    rewriting (dots or "+tags" in Gmail local parts) is deliberately not done: it would merge addresses
    that other providers treat as different mailboxes.
#}
{% macro normalise_email(expr) -%}
    {%- set cleaned = voc360.regexp_replace_all(
        voc360.regexp_replace_all('lower(' ~ expr ~ ')', "'\\s'", "''"),
        "'^mailto:'", "''"
    ) -%}
    case
        when {{ voc360.regexp_like(cleaned, "'^[^@]+@[^@]+\\.[^@]+$'") }} then {{ cleaned }}
    end
{%- endmacro %}
