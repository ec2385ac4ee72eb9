{#-
    Churn features left out of the fit because they carry no information in this data (over the
    labelled examples the model learns from; audience.churn_features): mostly_null (> 95 %
    null), constant (< 2 distinct values), one_value_dominates (one value >= 99 % of the
    non-null rows) or no_rows. A source with no rows (no web or email events) shows up here as
    its features being constant or null.
-#}
with

fit as (
    select * from {{ ref('churn_fit') }}
    where artifact = 'uninformative_feature'
),

final as (
    select
        model_version,
        feature,
        metric as reason,
        text_value as detail
    from fit
)

select * from final
