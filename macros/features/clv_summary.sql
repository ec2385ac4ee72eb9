{#-
    clv_summary(transactions_relation, cutoff_date_expr)

    The BTYD summary per person as of a cutoff date, in weeks, from daily purchase rows
    (person_id, purchase_date, purchase_value) on or before the cutoff; only days with a positive
    value count (purchases, never cancellations or refunds):
      frequency       repeat purchase days (purchase days - 1)
      recency_weeks   weeks between the first and the last purchase day
      t_weeks         weeks between the first purchase day and the cutoff
      monetary_value  mean value of the repeat purchase days (null when frequency = 0)
-#}
{% macro clv_summary(transactions_relation, cutoff_date_expr) %}
    select
        person_id,
        count(*) - 1 as frequency,
        {{ divide(dbt.datediff('min(purchase_date)', 'max(purchase_date)', 'day'), 7) }} as recency_weeks,
        {{ divide(dbt.datediff('min(purchase_date)', cutoff_date_expr, 'day'), 7) }} as t_weeks,
        case
            when count(*) > 1
                then {{ divide('sum(purchase_value) - sum(case when is_first then purchase_value else 0 end)',
                    'count(*) - 1') }}
        end as monetary_value
    from (
        select
            person_id,
            purchase_date,
            purchase_value,
            row_number() over (partition by person_id order by purchase_date) = 1 as is_first
        from {{ transactions_relation }}
        where purchase_date <= {{ cutoff_date_expr }}
            and purchase_value > 0
    ) as known_purchases
    group by person_id
{% endmacro %}
