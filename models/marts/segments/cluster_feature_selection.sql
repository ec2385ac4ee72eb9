{#-
    Which configured clustering features (var cluster_features) the current model was fitted on,
    and why each other one was left out: a feature with no information in this data (no rows,
    more than 95% null, fewer than 2 distinct values, or one value in at least 99% of the rows;
    audience.feature_information) is in neither the fit nor the persona names and descriptions.
-#}
with

fit as (
    {{ current_cluster_fit('feature_selection') }}
),

final as (
    select
        model_version,
        feature,
        position,
        max(case when metric = 'is_used' then value end) = 1 as is_used,
        max(case when metric = 'reason' then text_value end) as reason,
        max(case when metric = 'detail' then text_value end) as detail,
        cast(max(case when metric = 'n_rows' then value end) as {{ dbt.type_bigint() }}) as n_rows,
        max(case when metric = 'null_share' then value end) as null_share,
        cast(max(case when metric = 'n_distinct' then value end) as {{ dbt.type_bigint() }}) as n_distinct,
        max(case when metric = 'top_value_share' then value end) as top_value_share
    from fit
    group by model_version, feature, position
)

select * from final
