{#-
    The identity graph: which identifiers were seen together on one clean record. Links only
    come from records known by the as-of date (so no later login re-attributes history);
    identifiers themselves are listed whatever their date. Identifier types: customer_id (CRM
    key), email (normalized), anonymous_id (device/cookie id). Links come from
      crm.customers     customer_id - email of the current record
      web.events        anonymous_id - customer_id of logged-in events (browsing before login
                        then belongs to the customer)
      email.events      customer_id - recipient email
      survey.responses  customer_id - respondent email
    and every identifier seen anywhere (orders and consent included) is also listed as a
    self-link (identifier_a = identifier_b), so lone identifiers become a person of their own.

    Shared identifiers: an email or anonymous_id linked to more than
    var `identity_max_customers_per_identifier` distinct customer_ids (a family device, a
    generic mailbox) links nothing: it keeps only its self-link, so it cannot merge strangers.
-#}
with

customers as (
    select * from {{ ref('int_customers_deduplicated') }}
),

orders as (
    select * from {{ ref('int_orders_validated') }}
    where dq_reason is null
),

survey_responses as (
    select * from {{ ref('int_survey_responses_deduplicated') }}
),

consent_events as (
    select * from {{ ref('int_consent_events_deduplicated') }}
),

{# The web and email pairs (tens of millions of session-days and events at
    1M customers) are aggregated once by tables of their own; read as they are. The web
    pair's first day is compared with the as-of bound, the end of a day, so event_date < it is
    event_at < it. -#}
web_events_pairs as (
    select
        anonymous_id,
        customer_id,
        first_event_date as first_known_at
    from {{ ref('int_identity_web_pairs') }}
),

email_events_pairs as (
    select
        customer_id,
        email,
        first_event_at as first_known_at
    from {{ ref('int_identity_email_pairs') }}
),

{#- Each pair source is aggregated ONCE, to its distinct pairs of identifier
    columns with the earliest as-of column value; its links (pairs of two identifiers known by the
    as-of date) and its identifiers (either column, whatever its date) are both read from that
    result, rather than three aggregates over the same rows (web session-days and email events:
    tens of millions at 1M customers). Exact: a pair was
    known by the as-of date when its earliest row was, and every identifier of a column is in
    some pair. The constant type and source columns are added after grouping.
    pair_sources: (relation, identifier a, identifier b, as-of column or none, edge_source);
    the column names are the identifier types. Web and email events come aggregated
    (`<relation>_pairs` above, their as-of column is the pairs' first_known_at); the others are
    aggregated here. -#}
{%- set pair_sources = [
    ('customers', 'customer_id', 'email', none, 'crm.customers'),
    ('web_events', 'anonymous_id', 'customer_id', 'first_known_at', 'web.events'),
    ('email_events', 'customer_id', 'email', 'first_known_at', 'email.events'),
    ('survey_responses', 'customer_id', 'email', 'submitted_at', 'survey.responses'),
] %}
{%- set aggregated_here = ['customers', 'survey_responses'] %}
{#- read up to three times each: computed once on DuckDB (macro cte_hint; other engines plan
    the CTE themselves) -#}
{%- set once = cte_hint(materialized=true) %}
{% for relation, column_a, column_b, known_at, edge_source in pair_sources if relation in aggregated_here %}
{{ relation }}_pairs as {{ once }}(
    select
        {{ column_a }},
        {{ column_b }},
        {{ 'min(' ~ known_at ~ ')' if known_at else 'cast(null as ' ~ dbt.type_timestamp() ~ ')' }} as first_known_at
    from {{ relation }}
    group by {{ column_a }}, {{ column_b }}
),

{% endfor %}
links as (
    {% for relation, column_a, column_b, known_at, edge_source in pair_sources %}
    select
        '{{ column_a }}' as identifier_type_a,
        {{ column_a }} as identifier_a,
        '{{ column_b }}' as identifier_type_b,
        {{ column_b }} as identifier_b,
        '{{ edge_source }}' as edge_source
    from {{ relation }}_pairs
    where {{ column_a }} is not null
        and {{ column_b }} is not null
        {%- if known_at %}
        and first_known_at < {{ as_of_timestamp() }}
        {%- endif %}
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

{#- (relation, column, edge_source, whether nulls are filtered): the pair sources' identifiers
    come from their pairs; orders and consent events only list identifiers. As before this
    change, the clean customers and orders are taken without a null filter. -#}
{%- set identifier_sources = [
    ('customers_pairs', 'customer_id', 'crm.customers', false),
    ('orders', 'customer_id', 'shop.orders', false),
    ('consent_events', 'customer_id', 'crm.consent_events', true),
    ('web_events_pairs', 'customer_id', 'web.events', true),
    ('web_events_pairs', 'anonymous_id', 'web.events', true),
    ('email_events_pairs', 'customer_id', 'email.events', true),
    ('email_events_pairs', 'email', 'email.events', true),
    ('survey_responses_pairs', 'customer_id', 'survey.responses', true),
    ('survey_responses_pairs', 'email', 'survey.responses', true),
] %}

{# every identifier each source holds, with that source -#}
identifiers as (
    {% for relation, column, edge_source, not_null in identifier_sources %}
    select
        identifier,
        '{{ column }}' as identifier_type,
        '{{ edge_source }}' as edge_source
    from (
        select distinct {{ column }} as identifier
        from {{ relation }}
        {% if not_null %}where {{ column }} is not null{% endif %}
    ) as {{ relation }}_{{ column }}
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

self_links as (
    select
        identifier_type as identifier_type_a,
        identifier as identifier_a,
        identifier_type as identifier_type_b,
        identifier as identifier_b,
        min(edge_source) as edge_source
    from identifiers
    group by identifier_type, identifier
),

{# customer_ids each non-customer identifier is linked to -#}
identifier_customers as (
    select identifier_type_a as identifier_type, identifier_a as identifier, identifier_b as customer_id
    from links
    where identifier_type_b = 'customer_id'
    union
    select identifier_type_b, identifier_b, identifier_a
    from links
    where identifier_type_a = 'customer_id'
),

shared_identifiers as (
    select
        identifier_type,
        identifier
    from identifier_customers
    group by identifier_type, identifier
    having count(distinct customer_id) > {{ var('identity_max_customers_per_identifier') }}
),

kept_links as (
    select links.*
    from links
    left join shared_identifiers as shared_a
        on links.identifier_type_a = shared_a.identifier_type
        and links.identifier_a = shared_a.identifier
    left join shared_identifiers as shared_b
        on links.identifier_type_b = shared_b.identifier_type
        and links.identifier_b = shared_b.identifier
    where shared_a.identifier is null
        and shared_b.identifier is null
),

final as (
    select
        identifier_type_a,
        identifier_a,
        identifier_type_b,
        identifier_b,
        min(edge_source) as edge_source
    from kept_links
    group by identifier_type_a, identifier_a, identifier_type_b, identifier_b

    union all

    select
        identifier_type_a,
        identifier_a,
        identifier_type_b,
        identifier_b,
        edge_source
    from self_links
)

select * from final
