{#-
    churn_cutoffs(): the dates the churn examples take their features as of, H =
    var churn_horizon_days, as {sample set: SQL date expression}:
      train    as_of - 2H   (labelled by the H days after it)
      valid    as_of - H    (labelled by the H days up to the as-of date)
      current  as_of        (scored)
    int_activity_as_of_dates computes the activity features as of each of them,
    int_churn_examples reads them back by these dates.
-#}
{% macro churn_cutoffs() %}
    {%- set horizon = var('churn_horizon_days') -%}
    {{ return({
        'train': dbt.dateadd('day', -2 * horizon, as_of_date()),
        'valid': dbt.dateadd('day', -horizon, as_of_date()),
        'current': as_of_date(),
    }) }}
{% endmacro %}
