{#
    Customer tags are declared in one file, config/customer_tags.yml (var customer_tags_file overrides the
    path). dbt 1.11 offers no Jinja function that reads an arbitrary file at parse time (load_file_contents is
    internal, and the file is outside the model paths), so the file is read when the model compiles for
    execution, through the warehouse connection (read_text_file below), and parsed with fromyaml. At parse
    time (execute false) the list is empty: the model's lineage comes from its refs, which do not depend on
    the tags. A change to the YAML needs no re-parse; the next build picks it up.
#}

{# The parsed, validated tag declarations: a list of {name, description, owner, rule, reason}. #}
{% macro customer_tags() -%}
    {% if not execute %}
        {{ return([]) }}
    {% endif %}
    {% set path = var('customer_tags_file', '') or (invocation_args_dict.project_dir ~ '/../config/customer_tags.yml') %}
    {% set spec = fromyaml(voc360.read_text_file(path)) %}
    {% if spec is not mapping or spec.get('tags') is none %}
        {{ exceptions.raise_compiler_error(path ~ ": expected a mapping with a list under 'tags'") }}
    {% endif %}
    {% set seen = [] %}
    {% for tag in spec['tags'] %}
        {% set position = loop.index %}
        {% for key in ['name', 'description', 'owner', 'rule', 'reason'] %}
            {% set value = tag.get(key) if tag is mapping else none %}
            {% if value is none or (value | string | trim) == '' %}
                {{ exceptions.raise_compiler_error(path ~ ": tag #" ~ position ~ " " ~ tag ~ " has no " ~ key) }}
            {% endif %}
        {% endfor %}
        {% if not modules.re.match('^[a-z][a-z0-9_]*$', tag['name']) %}
            {{ exceptions.raise_compiler_error(path ~ ": tag name '" ~ tag['name'] ~ "' is not snake_case") }}
        {% endif %}
        {% if tag['name'] in seen %}
            {{ exceptions.raise_compiler_error(path ~ ": tag '" ~ tag['name'] ~ "' is declared twice") }}
        {% endif %}
        {% do seen.append(tag['name']) %}
    {% endfor %}
    {{ return(spec['tags']) }}
{%- endmacro %}


{# A SQL string literal of a Python string (single quotes doubled). #}
{% macro sql_string(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}


{# The text of a file, read by the warehouse engine (the file must be readable where the engine runs). #}
{% macro read_text_file(path) -%}
    {{ return(adapter.dispatch('read_text_file', 'voc360')(path)) }}
{%- endmacro %}

{% macro default__read_text_file(path) -%}
    {{ voc360.not_implemented('read_text_file') }}
{%- endmacro %}

{% macro duckdb__read_text_file(path) -%}
    {% set result = run_query('select content from read_text(' ~ voc360.sql_string(path) ~ ')') %}
    {{ return(result.columns[0].values()[0]) }}
{%- endmacro %}

{% macro spark__read_text_file(path) -%}
    {% do run_query(
        'create or replace temporary view voc360_text_file using text options (path '
        ~ voc360.sql_string(path) ~ ", wholetext 'true')"
    ) %}
    {% set result = run_query('select value from voc360_text_file') %}
    {{ return(result.columns[0].values()[0]) }}
{%- endmacro %}
