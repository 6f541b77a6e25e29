{#
    E.164 form of a phone number written by a person ("+8613812345678"), for hashing. `country` is a SQL
    expression giving the ISO 3166 country the record belongs to (see phone_country), or NULL when unknown;
    a number written with its country code does not need it.

    - Separators (spaces, dashes, dots, parentheses) are dropped; a leading "+" (also "(+86)") or "00"
      marks an international number whose country code follows.
    - A "(0)" trunk digit after a country code whose national numbers start with it (+44 (0)20 ...) is
      dropped ("+44 (0)20 7946 0958" -> "+442079460958").
    - A national number of a country of var phone_countries (calling code, trunk prefix, digits of the
      national significant number): the trunk prefix is dropped and the calling code added, so
      "(212) 555-1234" in the US, "07400 123456" in the UK and "138 1234 5678" in China hash like their
      international writings; the calling code written without "+" ("86 138...", "1-212-...") counts too.
    - Country unknown: a bare 11-digit number starting with 13-19 is a Chinese mobile (+86 is added; so is
      "86" followed by one). Other national writings cannot be told apart (a bare "1 415 555 0100" reads
      as a Chinese mobile, "020 ..." is London or Guangzhou), so they are kept as their digits, without
      "+": identical writings still match.
    - Anything else of 6 to 15 digits is kept as its digits; shorter or longer, or letters only: NULL.

    One implementation: every staging model that hashes a phone calls this macro (the warehouse has no
    Python that hashes phones).
#}
{% macro normalise_phone(expr, country=none) -%}
    {#- "+" (possibly after an opening parenthesis or spaces) becomes "00", then only digits remain -#}
    {%- set international_as_00 = voc360.regexp_replace_all('trim(' ~ expr ~ ')', "'^[^0-9+]*[+]'", "'00'") -%}
    {%- set digits = voc360.regexp_replace_all(international_as_00, "'[^0-9]'", "''") -%}
    {%- set marked = voc360.regexp_replace_all(digits, "'^00'", "'+'") -%}
    {%- set countries = var('phone_countries') -%}
    case
        {%- for code, plan in countries.items() if plan.trunk_prefix == '0' %}
        when {{ voc360.regexp_like(marked, "'^[+]" ~ plan.calling_code ~ "0[1-9][0-9]{" ~ (plan.national_digits[0] - 1) ~ "," ~ (plan.national_digits[1] - 1) ~ "}$'") }}
            then '+{{ plan.calling_code }}' || substring({{ marked }}, {{ plan.calling_code | string | length + 3 }})
        {%- endfor %}
        when {{ voc360.regexp_like(marked, "'^[+][1-9][0-9]{7,14}$'") }} then {{ marked }}
        {%- if country is not none %}
        {%- for code, plan in countries.items() %}
        {%- set national = "[0-9]{" ~ plan.national_digits[0] ~ "," ~ plan.national_digits[1] ~ "}" %}
        when {{ country }} = '{{ code }}' and {{ voc360.regexp_like(marked, "'^" ~ plan.trunk_prefix ~ national ~ "$'") }}
            then '+{{ plan.calling_code }}' || substring({{ marked }}, {{ plan.trunk_prefix | string | length + 1 }})
        when {{ country }} = '{{ code }}' and {{ voc360.regexp_like(marked, "'^" ~ plan.calling_code ~ national ~ "$'") }}
            then '+' || {{ marked }}
        when {{ country }} = '{{ code }}' and {{ voc360.regexp_like(marked, "'^" ~ national ~ "$'") }}
            then '+{{ plan.calling_code }}' || {{ marked }}
        {%- endfor %}
        {%- endif %}
        when {{ voc360.regexp_like(marked, "'^1[3-9][0-9]{9}$'") }} then '+86' || {{ marked }}
        when {{ voc360.regexp_like(marked, "'^861[3-9][0-9]{9}$'") }} then '+' || {{ marked }}
        when {{ voc360.regexp_like(marked, "'^[0-9]{6,15}$'") }} then {{ marked }}
    end
{%- endmacro %}


{#
    The country (ISO 3166 alpha-2) of a record for reading its national phone numbers, from a city name
    (English or Chinese, any case; var phone_country_by_city) or a store's IANA time zone (var
    phone_country_by_timezone); NULL when neither is known.
#}
{% macro phone_country(city=none, timezone=none) -%}
    {%- set cities = var('phone_country_by_city') -%}
    {%- set zones = var('phone_country_by_timezone') -%}
    coalesce(
        {%- if city is not none %}
        case lower(trim({{ city }}))
            {%- for name, code in cities.items() %}
            when '{{ name | lower | replace("'", "''") }}' then '{{ code }}'
            {%- endfor %}
        end,
        {%- endif %}
        {%- if timezone is not none %}
        case trim({{ timezone }})
            {%- for zone, code in zones.items() %}
            when '{{ zone }}' then '{{ code }}'
            {%- endfor %}
        end,
        {%- endif %}
        cast(null as {{ dbt.type_string() }})
    )
{%- endmacro %}
