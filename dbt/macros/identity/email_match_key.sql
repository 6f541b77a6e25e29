{#
    The normalised e-mail (normalise_email) with well-known misspellings of the domain corrected, for
    matching a person's records: "x@qq.con" and "x@gmial.com" are the mailboxes "x@qq.com" and
    "x@gmail.com" typed wrong (".con" is no top-level domain). A correctly written address is unchanged, so
    its hash equals email_hash. NULL when the value is not an address.
#}
{% macro email_match_key(expr) -%}
    {%- set fixed = namespace(sql=voc360.normalise_email(expr)) -%}
    {%- for pattern, replacement in [
        ("'[.](con|cmo|ocm|comm|vom|xom)$'", "'.com'"),
        ("'@(gmial|gamil|gmai|gmal|gnail)[.]'", "'@gmail.'"),
        ("'@(hotmial|hotmal|hotmai|homail)[.]'", "'@hotmail.'"),
        ("'@(yahho|yaho|yhoo)[.]'", "'@yahoo.'"),
        ("'@(outlok|outloo|otlook)[.]'", "'@outlook.'"),
    ] -%}
        {%- set fixed.sql = voc360.regexp_replace_all(fixed.sql, pattern, replacement) -%}
    {%- endfor -%}
    {{ fixed.sql }}
{%- endmacro %}
