{#-
    The population rule segments are evaluated on: every person of customer_profiles with the
    columns of customer_profiles and the predictive scores of customer_scores (null for people
    the models do not score). Rules (rule_segment_members.yml) may use any column listed here;
    the rule compiler checks column names against this relation.

    The profile columns are listed from the built relation, so a column added to the profile
    becomes usable in rules without touching this model.
-#}
{%- set score_columns = ['churn_probability', 'p_alive', 'expected_purchases', 'expected_avg_order_value',
    'clv', 'churn_decile', 'clv_decile'] -%}
{%- set profile_columns = [] -%}
{%- if execute -%}
    {%- for col in adapter.get_columns_in_relation(ref('customer_profiles')) if col.name | lower not in score_columns -%}
        {%- do profile_columns.append(col.name) -%}
    {%- endfor -%}
{%- endif -%}
with

profiles as (
    select * from {{ ref('customer_profiles') }}
),

scores as (
    select * from {{ ref('customer_scores') }}
),

final as (
    select
        {% for column in profile_columns -%}
        profiles.{{ adapter.quote(column) }},
        {% else -%}
        profiles.*,
        {% endfor -%}
        {% for column in score_columns -%}
        scores.{{ column }}{{ ',' if not loop.last }}
        {% endfor %}
    from profiles
    left join scores
        on profiles.person_id = scores.person_id
)

{# before customer_profiles is built (parse, lint on a fresh clone) its columns are profiles.* #}
select * from final  -- noqa: AM04
