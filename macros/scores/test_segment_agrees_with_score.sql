{#-
    segment_agrees_with_score: the members of each segment agree, on average, with the score
    the segment is named for. For each expectation, the mean score of the segment's members
    must lie on the named side (`above` or `below`) of the mean over the whole scored
    population (rows of `scores` with a non-null score). A segment present in the model with no
    expectation fails too (every segment must say which score it follows); an expected
    segment with no members passes (nothing disagrees). Returns one row per failing
    (segment, score).

      data_tests:
        - segment_agrees_with_score:
            arguments:
              scores: ref('customer_scores')
              entity_column: person_id          # default person_id, in both relations
              segment_column: segment_name      # default segment_name
              expectations:
                - {segment: likely_to_return, score: churn_probability, direction: below}
-#}
{% test segment_agrees_with_score(model, scores, expectations, entity_column='person_id', segment_column='segment_name') %}
{%- set double = type_double() -%}
with

expected as (
    {% for e in expectations %}
    {%- if e.direction not in ('above', 'below') -%}
        {{ exceptions.raise_compiler_error("segment_agrees_with_score: direction must be 'above' or 'below', got '" ~ e.direction ~ "' for segment " ~ e.segment) }}
    {%- endif %}
    select
        cast('{{ e.segment }}' as {{ dbt.type_string() }}) as segment,
        cast('{{ e.score }}' as {{ dbt.type_string() }}) as score,
        cast('{{ e.direction }}' as {{ dbt.type_string() }}) as direction,
        (select avg(cast(s.{{ e.score }} as {{ double }})) from {{ scores }} as s where s.{{ e.score }} is not null) as population_mean,
        (
            select avg(cast(s.{{ e.score }} as {{ double }}))
            from {{ model }} as m
            inner join {{ scores }} as s on m.{{ entity_column }} = s.{{ entity_column }}
            where m.{{ segment_column }} = '{{ e.segment }}'
        ) as member_mean,
        (
            select count(*)
            from {{ model }} as m
            where m.{{ segment_column }} = '{{ e.segment }}'
        ) as n_members
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

disagreeing as (
    select
        segment,
        score,
        direction,
        population_mean,
        member_mean,
        n_members,
        'members do not lie ' || direction || ' the population mean' as problem
    from expected
    where n_members > 0
      and (
          member_mean is null
          or (direction = 'above' and not member_mean > population_mean)
          or (direction = 'below' and not member_mean < population_mean)
      )
),

undeclared as (
    select
        cast(m.{{ segment_column }} as {{ dbt.type_string() }}) as segment,
        cast(null as {{ dbt.type_string() }}) as score,
        cast(null as {{ dbt.type_string() }}) as direction,
        cast(null as {{ double }}) as population_mean,
        cast(null as {{ double }}) as member_mean,
        count(*) as n_members,
        'segment has no expectation: name the score it follows' as problem
    from {{ model }} as m
    where cast(m.{{ segment_column }} as {{ dbt.type_string() }}) not in (
        {%- for e in expectations %}'{{ e.segment }}'{{ ', ' if not loop.last }}{% endfor -%}
    )
    group by m.{{ segment_column }}
)

select * from disagreeing
union all
select * from undeclared
{% endtest %}
