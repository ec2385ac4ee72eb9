{#-
    The rows of the registry cluster_fit that belong to the current model version
    (cluster_model_history.is_current), optionally of one artifact kind ('transform',
    'centroid', 'k_selection', 'validation', 'hierarchy', ...). Every cluster_* mart reads the
    current version through this one definition.
-#}
{% macro current_cluster_fit(artifact=none) %}
    select * from {{ ref('cluster_fit') }}
    where model_version in (
        select model_version from {{ ref('cluster_model_history') }} where is_current
    )
    {%- if artifact %}
      and artifact = '{{ artifact }}'
    {%- endif %}
{% endmacro %}
