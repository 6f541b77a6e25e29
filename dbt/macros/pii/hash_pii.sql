{#
    Salted SHA-256 of a normalised personal value, as 64 lower-case hex characters; NULL stays NULL.
    The salt is env VOC360_PII_SALT (see pii_salt_sql): equal inputs hash equal across sources and
    runs, and without the salt the hashes cannot be reversed by hashing candidate e-mails or phone numbers.
    Always hash the output of a normalise_* macro, never the raw column.
#}
{% macro hash_pii(expr) -%}
    {{ return(adapter.dispatch('hash_pii', 'voc360')(expr)) }}
{%- endmacro %}

{% macro default__hash_pii(expr) -%}
    {{ voc360.not_implemented('hash_pii') }}
{%- endmacro %}

{% macro duckdb__hash_pii(expr) -%}
    sha256({{ voc360.pii_salt_sql() }} || ({{ expr }}))
{%- endmacro %}


{#
    The salt as SQL. Normally the DuckDB variable voc360_pii_salt, which the voc360 dbt-duckdb plugin sets
    from VOC360_PII_SALT on every connection (voc360/dbt_salt.py): the secret then never appears in
    compiled SQL, dbt's logs or its manifest, and a missing plugin fails the query instead of hashing with
    NULL. A var pii_salt, when given (dbt unit tests give one), is written into the SQL instead.
#}
{% macro pii_salt_sql() -%}
    {%- set salt = var('pii_salt', none) -%}
    {%- if salt is none -%}
        coalesce(
            cast(getvariable('voc360_pii_salt') as varchar),
            error('the PII salt is not set: dbt/profiles.yml must load the voc360.dbt_salt plugin')
        )
    {%- elif salt | string | trim == '' -%}
        {{ exceptions.raise_compiler_error("the pii_salt var must not be empty") }}
    {%- else -%}
        '{{ salt | string | replace("'", "''") }}'
    {%- endif -%}
{%- endmacro %}
