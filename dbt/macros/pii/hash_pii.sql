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

{% macro spark__hash_pii(expr) -%}
    sha2(concat({{ voc360.pii_salt_sql() }}, ({{ expr }})), 256)
{%- endmacro %}


{#
    The salt as SQL. Normally a session setting made from VOC360_PII_SALT outside the SQL (pii_salt_setting):
    the secret then never appears in compiled SQL, dbt's logs or its manifest, and a missing setting fails
    the query instead of hashing without salt. A var pii_salt, when given (dbt unit tests give one), is
    written into the SQL instead.
#}
{% macro pii_salt_sql() -%}
    {%- set salt = var('pii_salt', none) -%}
    {%- if salt is none -%}
        {{ voc360.pii_salt_setting() }}
    {%- elif salt | string | trim == '' -%}
        {{ exceptions.raise_compiler_error("the pii_salt var must not be empty") }}
    {%- else -%}
        '{{ salt | string | replace("'", "''") }}'
    {%- endif -%}
{%- endmacro %}


{% macro pii_salt_setting() -%}
    {{ return(adapter.dispatch('pii_salt_setting', 'voc360')()) }}
{%- endmacro %}

{% macro default__pii_salt_setting() -%}
    {{ voc360.not_implemented('pii_salt_setting') }}
{%- endmacro %}

{# The DuckDB variable that the voc360 dbt-duckdb plugin sets on every connection (voc360/dbt_salt.py). #}
{% macro duckdb__pii_salt_setting() -%}
    coalesce(
        cast(getvariable('voc360_pii_salt') as varchar),
        error('the PII salt is not set: dbt/profiles.yml must load the voc360.dbt_salt plugin')
    )
{%- endmacro %}

{#
    The Spark setting spark.voc360.pii_salt (dbt/profiles.yml sets it from the environment), put into the
    query by Spark's variable substitution; an unset setting reads as '' and fails.
#}
{% macro spark__pii_salt_setting() -%}
    {%- set reference = '${spark.voc360.pii_salt}' -%}
    case
        when trim('{{ reference }}') = ''
            then raise_error('the PII salt is not set: dbt/profiles.yml must set spark.voc360.pii_salt')
        else '{{ reference }}'
    end
{%- endmacro %}
