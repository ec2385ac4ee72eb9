{#-
    Email hashing for ad platforms' customer-match uploads (Google Customer Match, Meta Custom
    Audiences, ...): they expect the SHA-256 of the normalized address (trimmed, lower-case) as
    64 lower-case hex characters, and never the address itself.

    hashed_email(expr): sha256_hex(normalized_email_for_matching(expr)); null for a null email.
-#}
{% macro normalized_email_for_matching(expr) -%}
    lower(trim({{ expr }}))
{%- endmacro %}


{% macro hashed_email(expr) -%}
    {{ sha256_hex(normalized_email_for_matching(expr)) }}
{%- endmacro %}


{#-
    sha256_hex(expr): SHA-256 of a text as 64 lower-case hex characters.
    Default: `sha2(expr, 256)`, the form Snowflake, Databricks/Spark, Redshift and MySQL share
    (each returns lower-case hex). DuckDB's sha256() and Postgres' sha256() on bytes, BigQuery's
    sha256() on bytes need their own spelling.
-#}
{% macro sha256_hex(expr) %}
    {{ return(adapter.dispatch('sha256_hex', 'audience')(expr)) }}
{% endmacro %}

{% macro default__sha256_hex(expr) -%}
    lower(sha2({{ expr }}, 256))
{%- endmacro %}

{% macro duckdb__sha256_hex(expr) -%}
    sha256({{ expr }})
{%- endmacro %}

{% macro postgres__sha256_hex(expr) -%}
    encode(sha256(convert_to({{ expr }}, 'UTF8')), 'hex')
{%- endmacro %}

{% macro bigquery__sha256_hex(expr) -%}
    to_hex(sha256({{ expr }}))
{%- endmacro %}
