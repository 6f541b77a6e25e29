{# The rows of `columns` that only one of two relations holds: what changed between a kept copy and the
   current table (EXCEPT compares NULLs as equal). #}
{% macro changed_rows(columns, current, kept) -%}
    {%- set listed = columns | join(', ') -%}
    (select {{ listed }} from {{ current }}
    except
    select {{ listed }} from {{ kept }})
    union all
    (select {{ listed }} from {{ kept }}
    except
    select {{ listed }} from {{ current }})
{%- endmacro %}
