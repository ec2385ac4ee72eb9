{#-
    Which columns carry information in this data: the one definition used by dq_feature_coverage
    (every numeric column of customer_profiles) and by the rule segments (every column a rule
    uses). The clustering and churn features apply the same definition in Python.

    A column is uninformative when
      - its source has no clean rows (e.g. sessions_90d without web events),
      - it has no non-null value, or more than 95 % of the rows are null,
      - it has fewer than 2 distinct non-null values, or
      - one value holds at least 99 % of the non-null rows.
-#}

{% macro feature_informative_limits() %}
    {{ return({'max_null_share': 0.95, 'min_distinct_values': 2, 'max_top_value_share': 0.99}) }}
{% endmacro %}


{#- The source each profile column is computed from, keyed like dq_sources() (dq_source_freshness
    .source). Columns not listed here are judged on their values only. -#}
{% macro feature_sources() %}
    {% set by_source = {
        'web.events': ['sessions_30d', 'sessions_90d', 'page_views_30d', 'page_views_90d',
                       'product_views_30d', 'product_views_90d', 'add_to_cart_90d',
                       'cart_abandonments_90d', 'days_since_last_visit'],
        'email.events': ['email_open_rate', 'email_click_rate', 'emails_received'],
        'survey.responses': ['nps_score', 'satisfaction_score'],
        'shop.order_items': ['categories_bought'],
        'crm.customers': ['age_years'],
        'shop.orders': ['customer_id_count', 'order_count', 'total_revenue', 'avg_order_value',
                        'recency_days', 'tenure_days', 'purchase_frequency', 'discount_share',
                        'r_score', 'f_score', 'm_score', 'rfm_score', 'gross_revenue',
                        'unconverted_order_count'],
    } %}
    {% set out = {} %}
    {% for source, columns in by_source.items() %}
        {% for column in columns %}{% do out.update({column: source}) %}{% endfor %}
    {% endfor %}
    {{ return(out) }}
{% endmacro %}


{#- How a source is named in reasons: 'web.events' -> 'web events', 'shop.orders' -> 'orders'. -#}
{% macro feature_source_label(source) %}
    {% set labels = {'web.events': 'web events', 'email.events': 'email events',
        'survey.responses': 'survey responses', 'shop.order_items': 'order items',
        'crm.customers': 'customers', 'shop.orders': 'orders', 'crm.consent_events': 'consent events'} %}
    {{ return(labels.get(source, source)) }}
{% endmacro %}


{#- CTEs `feature_values__<column>` (one row per distinct value of the column in `from_cte`, with
    its row count); to be placed in a WITH list, each followed by a comma. -#}
{% macro feature_values_ctes(from_cte, columns) %}
    {%- for column in columns %}
feature_values__{{ column }} as (
    select
        {{ adapter.quote(column) }} is not null as has_value,
        cast({{ adapter.quote(column) }} as {{ dbt.type_string() }}) as value_text,
        count(*) as value_rows
    from {{ from_cte }}
    group by {{ adapter.quote(column) }}
),
    {%- endfor %}
{% endmacro %}


{#- One row per column from the CTEs above: column_name, n_rows, non_null_rows, distinct_values,
    top_value_rows (rows of the most common non-null value), top_value (that value as text; the
    smallest when tied). -#}
{% macro feature_stats_select(columns) %}
    {%- for column in columns %}
    select
        '{{ column }}' as column_name,
        stats.n_rows,
        stats.non_null_rows,
        stats.distinct_values,
        stats.top_value_rows,
        top_values.top_value
    from (
        select
            coalesce(sum(value_rows), 0) as n_rows,
            coalesce(sum(case when has_value then value_rows end), 0) as non_null_rows,
            coalesce(sum(case when has_value then 1 else 0 end), 0) as distinct_values,
            coalesce(max(case when has_value then value_rows end), 0) as top_value_rows
        from feature_values__{{ column }}
    ) as stats
    left join (
        select value_rows, min(value_text) as top_value
        from feature_values__{{ column }}
        where has_value
        group by value_rows
    ) as top_values
        on top_values.value_rows = stats.top_value_rows
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{% endmacro %}


{#- Why a column is uninformative (null when it is informative), from the columns of a
    feature_stats_select row; source_has_rows (a boolean, null = unknown) and source_label are
    SQL expressions. -#}
{% macro feature_uninformative_reason(source_has_rows='cast(null as boolean)', source_label="''") %}
    {%- set limits = feature_informative_limits() -%}
    {%- set text = dbt.type_string() -%}
    {%- set pct = "cast(round(100.0 * top_value_rows / non_null_rows, 1) as " ~ text ~ ")" -%}
    case
        when {{ source_has_rows }} = false
            then {{ dbt.concat(["'no '", source_label]) }}
        when n_rows = 0 then 'no people'
        when non_null_rows = 0 then 'no values (null for everyone)'
        when non_null_rows < {{ (1 - limits['max_null_share']) | round(6) }} * n_rows
            then {{ dbt.concat(["cast(round(100.0 - 100.0 * non_null_rows / n_rows, 1) as " ~ text ~ ")", "'% null'"]) }}
        when distinct_values < {{ limits['min_distinct_values'] }}
            then {{ dbt.concat(["'one value ('", "top_value", "') for everyone with a value'"]) }}
        when top_value_rows >= {{ limits['max_top_value_share'] }} * non_null_rows
            then {{ dbt.concat(["'one value ('", "top_value", "') for '", pct, "'% of the people with a value'"]) }}
    end
{%- endmacro %}
