{#
    Engine-specific macros dispatch to <adapter>__<name>; where no portable SQL exists the default
    implementation stops the compilation with a message saying which implementation to add.
#}
{% macro not_implemented(macro_name) -%}
    {{ exceptions.raise_compiler_error(
        macro_name ~ " has no implementation for the " ~ adapter.type() ~ " adapter yet: add a macro "
        ~ adapter.type() ~ "__" ~ macro_name ~ " beside duckdb__" ~ macro_name
    ) }}
{%- endmacro %}
