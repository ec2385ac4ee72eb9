{#-
    raw_text_where_informative(raw_text, typed_value): the raw text of a staged column only where
    it tells something the typed value does not: the row is flagged (dq_reason), or the text is not exactly the typed value cast to text
    (reformatted, re-cased, an alias mapped). Elsewhere null: the raw text then is
    cast(typed_value as text), so nothing is lost and 110M copies of the text are not written.
    Readers that want every raw value join raw on (_source_file, _source_row), as dq_quarantine does.
-#}
{% macro raw_text_where_informative(raw_text, typed_value) %}
    case
        when dq_reason is not null
            or ({{ raw_text }} is distinct from {{ dbt.cast(typed_value, dbt.type_string()) }})
            then {{ raw_text }}
    end
{%- endmacro %}
