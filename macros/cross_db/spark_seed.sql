{#-
    Seeds on Spark: every value as an escaped SQL literal.

    dbt-spark's own `spark__load_csv_rows` passes the values as bindings, and its `session`
    method pastes them between quotes without escaping, so a seed value holding a quote
    ("people's republic of china" in country_codes) breaks the insert. Here the values are
    written as literals: backslashes and quotes escaped (Spark reads a backslash as an escape in
    string literals), empty cells as null, each cast to the column's type as dbt-spark does.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- do types.append(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    {%- if value is none -%}
                        cast(null as {{ types[loop.index0] }})
                    {%- else -%}
                        cast('{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ types[loop.index0] }})
                    {%- endif -%}
                    {{- ',' if not loop.last -}}
                {%- endfor -%}){{ ',' if not loop.last }}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{- return(statements[0] if statements else '') -}}
{% endmacro %}
