with

orders as (
    select * from {{ ref('int_orders_deduplicated') }}
    where order_status = 'completed'
),

web_events as (
    select * from {{ ref('stg_web__events') }}
    where dq_reason is null and customer_id is not null
),

email_events as (
    select * from {{ ref('stg_email__events') }}
    where dq_reason is null and customer_id is not null
),

consent as (
    select * from {{ ref('stg_crm__consent_events') }}
    where dq_reason is null and channel in ('email', 'all')
),

customer_orders as (
    select
        customer_id,
        count(*) as order_count,
        sum(order_total) as total_revenue,
        sum(discount_amount) as total_discount,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at
    from orders
    group by customer_id
),

customer_web as (
    select
        customer_id,
        count(distinct case
            when event_at >= {{ dbt.dateadd('day', -90, as_of_timestamp()) }} then session_id
        end) as sessions_90d
    from web_events
    where event_at < {{ as_of_timestamp() }}
    group by customer_id
),

customer_email as (
    select
        customer_id,
        count(distinct case when event_type in ('sent', 'delivered') then campaign_id end) as emails_received,
        count(distinct case when event_type = 'open' then campaign_id end) as emails_opened
    from email_events
    where event_at < {{ as_of_timestamp() }}
    group by customer_id
),

latest_consent as (
    select
        customer_id,
        is_granted,
        row_number() over (partition by customer_id order by event_at desc, consent_event_id desc) as rn
    from consent
    where event_at < {{ as_of_timestamp() }}
),

profiles as (
    select
        o.customer_id as person_id,
        o.customer_id,
        o.order_count,
        o.total_revenue,
        o.total_revenue / o.order_count as avg_order_value,
        case
            when o.total_revenue + o.total_discount > 0
                then o.total_discount / (o.total_revenue + o.total_discount)
            else 0
        end as discount_share,
        o.first_order_at,
        o.last_order_at,
        {{ dbt.datediff('o.last_order_at', as_of_date(), 'day') }} as recency_days,
        {{ dbt.datediff('o.first_order_at', as_of_date(), 'day') }} as tenure_days,
        coalesce(w.sessions_90d, 0) as sessions_90d,
        case
            when e.emails_received > 0 then least(1.0, e.emails_opened * 1.0 / e.emails_received)
            else 0
        end as email_open_rate,
        coalesce(c.is_granted, {{ 'true' if var('consent_default') else 'false' }}) as has_marketing_consent
    from customer_orders as o
    left join customer_web as w on o.customer_id = w.customer_id
    left join customer_email as e on o.customer_id = e.customer_id
    left join latest_consent as c on o.customer_id = c.customer_id and c.rn = 1
),

scored as (
    select
        *,
        6 - ntile(5) over (order by recency_days asc, person_id) as r_score,
        ntile(5) over (order by order_count asc, person_id) as f_score,
        ntile(5) over (order by total_revenue asc, person_id) as m_score
    from profiles
),

final as (
    select
        person_id,
        customer_id,
        order_count,
        total_revenue,
        avg_order_value,
        discount_share,
        first_order_at,
        last_order_at,
        recency_days,
        tenure_days,
        sessions_90d,
        email_open_rate,
        r_score,
        f_score,
        m_score,
        case
            when r_score >= 4 and f_score >= 4 then 'champions'
            when r_score >= 3 and f_score >= 3 then 'loyal'
            when r_score >= 4 and f_score <= 2 then 'new_or_promising'
            when r_score <= 2 and f_score >= 3 then 'at_risk'
            when r_score <= 2 and f_score <= 2 then 'hibernating'
            else 'needs_attention'
        end as rfm_segment,
        has_marketing_consent,
        {{ as_of_date() }} as as_of_date
    from scored
)

select * from final
