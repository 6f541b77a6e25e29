{#
    E.164 form of a phone number written by a person ("+8613812345678"), for hashing.

    - Separators (spaces, dashes, dots, parentheses) are dropped; a leading "+" (also "(+86)") or "00"
      marks an international number whose country code follows.
    - A bare 11-digit number starting with 13-19 is a Chinese mobile: +86 is added; so is "86" followed
      by such a number without "+".
    - A "(0)" trunk digit after +44 is dropped ("+44 (0)20 7946 0958" -> "+442079460958").
    - US and UK numbers must carry their country code (+1 / 001, +44 / 0044): a bare "1 415 555 0100"
      would read as a Chinese mobile.
    - Any other plausible national number (6 to 15 digits, country unknown) is kept as its digits, without
      "+", so identical writings still match; anything else (too short, letters only) gives NULL.
#}
{% macro normalise_phone(expr) -%}
    {#- "+" (possibly after an opening parenthesis or spaces) becomes "00", then only digits remain -#}
    {%- set international_as_00 = voc360.regexp_replace_all('trim(' ~ expr ~ ')', "'^[^0-9+]*[+]'", "'00'") -%}
    {%- set digits = voc360.regexp_replace_all(international_as_00, "'[^0-9]'", "''") -%}
    {%- set marked = voc360.regexp_replace_all(digits, "'^00'", "'+'") -%}
    case
        when {{ voc360.regexp_like(marked, "'^1[3-9][0-9]{9}$'") }} then '+86' || {{ marked }}
        when {{ voc360.regexp_like(marked, "'^861[3-9][0-9]{9}$'") }} then '+' || {{ marked }}
        when {{ voc360.regexp_like(marked, "'^[+]440[1-9][0-9]{6,11}$'") }} then '+44' || substring({{ marked }}, 5)
        when {{ voc360.regexp_like(marked, "'^[+][1-9][0-9]{7,14}$'") }} then {{ marked }}
        when {{ voc360.regexp_like(marked, "'^[0-9]{6,15}$'") }} then {{ marked }}
    end
{%- endmacro %}
