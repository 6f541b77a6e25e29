{#
    Canonical form of a person's name for exact matching: lower case, every run of non-letters (spaces,
    dots, hyphens, apostrophes, digits) replaced by one space, trimmed; NULL when nothing is left.
#}
{% macro normalise_name(expr) -%}
    nullif(trim({{ voc360.regexp_replace_all('lower(' ~ expr ~ ')', "'[^\\p{L}]+'", "' '") }}), '')
{%- endmacro %}


{#
    Hashed, order-insensitive key of a full name: the tokens of the normalised name sorted, then hashed,
    so "Zhang Wei", "wei  ZHANG" and first "Wei" + last "Zhang" give the same key. Pass one expression
    (a full name) or several (name parts, concatenated with a space; NULL parts are skipped).
#}
{% macro name_key(name_parts) -%}
    {%- if name_parts is string -%}
        {%- set name_parts = [name_parts] -%}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for part in name_parts -%}
        {%- do parts.append("coalesce(" ~ part ~ ", '')") -%}
    {%- endfor -%}
    {{ voc360.hash_pii(voc360.sort_tokens(voc360.normalise_name(parts | join(" || ' ' || ")))) }}
{%- endmacro %}
