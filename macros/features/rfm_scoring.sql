{#-
    rfm_scoring(relation): one row per person of `relation` with at least one order, with RFM
    quintile scores and the named RFM segment. `relation` needs person_id, recency_days,
    order_count and total_revenue (e.g. int_customer_activity or the rows of int_activity_features
    CTE at another cutoff).

    Scores (1-5, 5 best) rank buyers against each other:
        score = 1 + floor(5 * (rank - 1) / n_buyers)
    where rank is the standard competition rank (ties share the lowest rank) of recency_days
    descending (the longest ago ranks first and scores 1), order_count ascending and
    total_revenue ascending. Ties always share a score, so the score never depends on ids or row
    order; with many ties (one-time buyers) the low scores are simply more crowded.

    Segments: see rfm_segment_name().
-#}
{% macro rfm_scoring(relation) %}
with

buyers as (
    select
        person_id,
        recency_days,
        order_count,
        total_revenue
    from {{ relation }}
    where order_count > 0
),

ranked as (
    select
        person_id,
        rank() over (order by recency_days desc) as r_rank,
        rank() over (order by order_count) as f_rank,
        rank() over (order by total_revenue) as m_rank,
        count(*) over () as n_buyers
    from buyers
),

scored as (
    select
        person_id,
        cast(1 + floor({{ divide('5 * (r_rank - 1)', 'n_buyers') }}) as {{ dbt.type_int() }}) as r_score,
        cast(1 + floor({{ divide('5 * (f_rank - 1)', 'n_buyers') }}) as {{ dbt.type_int() }}) as f_score,
        cast(1 + floor({{ divide('5 * (m_rank - 1)', 'n_buyers') }}) as {{ dbt.type_int() }}) as m_score
    from ranked
),

named as (
    select
        person_id,
        r_score,
        f_score,
        m_score,
        {{ dbt.concat([
            dbt.safe_cast('r_score', dbt.type_string()),
            dbt.safe_cast('f_score', dbt.type_string()),
            dbt.safe_cast('m_score', dbt.type_string())
        ]) }} as rfm_score,
        {{ rfm_segment_name('r_score', 'f_score') }} as rfm_segment
    from scored
)

select * from named
{% endmacro %}


{#-
    rfm_segment_name(r, f): the named RFM segment of a recency and a frequency score, from this
    grid (rows r, columns f; the first matching rule wins):

        r\f  1               2                    3                    4            5
        5    new_customers   potential_loyalists  potential_loyalists  champions    champions
        4    promising       potential_loyalists  potential_loyalists  champions    champions
        3    about_to_sleep  about_to_sleep       need_attention       loyal        loyal
        2    hibernating     hibernating          at_risk              at_risk      cannot_lose
        1    lost            lost                 at_risk              cannot_lose  cannot_lose
-#}
{% macro rfm_segment_name(r, f) %}
    case
        when {{ r }} >= 4 and {{ f }} >= 4 then 'champions'
        when {{ r }} = 3 and {{ f }} >= 4 then 'loyal'
        when {{ r }} >= 4 and {{ f }} between 2 and 3 then 'potential_loyalists'
        when {{ r }} = 5 and {{ f }} = 1 then 'new_customers'
        when {{ r }} = 4 and {{ f }} = 1 then 'promising'
        when {{ r }} = 3 and {{ f }} = 3 then 'need_attention'
        when {{ r }} = 3 and {{ f }} <= 2 then 'about_to_sleep'
        when ({{ r }} <= 2 and {{ f }} = 5) or ({{ r }} = 1 and {{ f }} = 4) then 'cannot_lose'
        when {{ r }} <= 2 and {{ f }} >= 3 then 'at_risk'
        when {{ r }} = 2 and {{ f }} <= 2 then 'hibernating'
        when {{ r }} = 1 and {{ f }} <= 2 then 'lost'
    end
{% endmacro %}
