{#-
    Regular expressions on every engine. Patterns are written once, as the text between the
    quotes of a DuckDB string literal (RE2 syntax; a quote doubled), and each macro renders
    them for the target:

      regexp_full(expr, pattern)         the whole value matches
      regexp_contains(expr, pattern)     some part of the value matches
      regexp_replace_all(expr, pattern, replacement)   every match replaced; `\1` is group 1
      regexp_group(expr, pattern, group) the text of a group of the first match, '' when none

    On DuckDB (and by default) the SQL is DuckDB's own functions, unchanged. On Spark, Java
    regular expressions: spark_regex_literal() turns the pattern into a Spark string literal
    (quotes and backslashes escaped, as Spark unescapes string literals), POSIX `[:space:]`
    becomes Java's `\p{Space}` (the same six blanks; Java would read `[:space:]` as a set of
    letters), and a final `$` becomes `\z`: Java's `$` would also match before a final line
    break, RE2's only at the end of the value.
-#}

{% macro spark_regex_literal(pattern) %}
    {%- set p = pattern | replace("''", "'") | replace('[:space:]', '\\p{Space}') -%}
    {%- if p.endswith('$') and not p.endswith('\\$') -%}
        {%- set p = p[:-1] ~ '\\z' -%}
    {%- endif -%}
    {{- return(spark__sql_string(p)) -}}
{% endmacro %}


{% macro regexp_full(expr, pattern) %}
    {{- return(adapter.dispatch('regexp_full', 'audience')(expr, pattern)) -}}
{% endmacro %}
{% macro default__regexp_full(expr, pattern) %}regexp_full_match({{ expr }}, '{{ pattern }}'){% endmacro %}
{% macro spark__regexp_full(expr, pattern) %}({{ expr }} rlike {{ spark_regex_literal('^(?:' ~ pattern ~ ')$') }}){% endmacro %}


{% macro regexp_contains(expr, pattern) %}
    {{- return(adapter.dispatch('regexp_contains', 'audience')(expr, pattern)) -}}
{% endmacro %}
{% macro default__regexp_contains(expr, pattern) %}regexp_matches({{ expr }}, '{{ pattern }}'){% endmacro %}
{% macro spark__regexp_contains(expr, pattern) %}({{ expr }} rlike {{ spark_regex_literal(pattern) }}){% endmacro %}


{% macro regexp_replace_all(expr, pattern, replacement) %}
    {{- return(adapter.dispatch('regexp_replace_all', 'audience')(expr, pattern, replacement)) -}}
{% endmacro %}
{% macro default__regexp_replace_all(expr, pattern, replacement) %}regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g'){% endmacro %}
{#- Spark replaces every match; its group references are `$1` -#}
{% macro spark__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, {{ spark_regex_literal(pattern) }}, {{ spark__sql_string(replacement | replace("''", "'") | replace('\\', '$')) }})
{%- endmacro %}


{% macro regexp_group(expr, pattern, group) %}
    {{- return(adapter.dispatch('regexp_group', 'audience')(expr, pattern, group)) -}}
{% endmacro %}
{% macro default__regexp_group(expr, pattern, group) %}regexp_extract({{ expr }}, '{{ pattern }}', {{ group }}){% endmacro %}
{% macro spark__regexp_group(expr, pattern, group) %}regexp_extract({{ expr }}, {{ spark_regex_literal(pattern) }}, {{ group }}){% endmacro %}
