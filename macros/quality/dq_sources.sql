{#-
    dq_sources(): the one list the quality models are generated from (dq_quarantine,
    dq_duplicates, dq_reconciliation, dq_column_audit, dq_source_freshness).

    Per raw source:
      source            label `<source_name>.<table>` used in every dq_* model
      source_name/table the dbt source
      validated         intermediate model: every staged row with its final dq_reason
      clean             intermediate model: usable rows, one per business key
      key               business key column (after staging)
      kept_order        (optional) the order by, over the clean rows of one key, whose first row
                        the `clean` model keeps; default the latest landed row
                        (latest_landed_order(), what the other int_*_deduplicated models keep).
                        dq_duplicates names the kept row with it; int_customers_deduplicated
                        ranks by it.
      compare           columns whose values make two rows of one key "different versions"
      timestamp         the column freshness and future checks look at (none for order lines)
      max_lag_days      freshness: how far the latest clean timestamp may lag the as-of date
      amounts           numeric columns profiled for outliers
      ranges            column -> SQL condition that holds when a value is out of range (survey
                        scores out of range are nulled in staging, so their rule reads dq_reason);
                        the timestamp column also counts values at or after future_cutoff()
-#}
{% macro dq_sources() %}
    {{ return([
        {
            'source': 'shop.orders', 'source_name': 'shop', 'table': 'orders',
            'validated': 'int_orders_validated', 'clean': 'int_orders_deduplicated',
            'key': 'order_id', 'timestamp': 'ordered_at', 'max_lag_days': 3,
            'compare': ['customer_id', 'currency', 'order_status', 'channel', 'order_total',
                        'discount_amount', 'ordered_at'],
            'amounts': ['order_total', 'discount_amount'],
            'ranges': {
                'order_total': "(order_total < 0 and order_status = 'completed') or abs(order_total) > " ~ var('max_order_total'),
                'discount_amount': 'discount_amount < 0',
            },
        },
        {
            'source': 'shop.order_items', 'source_name': 'shop', 'table': 'order_items',
            'validated': 'int_order_items_validated', 'clean': 'int_order_items_deduplicated',
            'key': 'order_item_id', 'timestamp': none, 'max_lag_days': none,
            'compare': ['order_id', 'product_id', 'category', 'line_number', 'quantity', 'unit_price'],
            'amounts': ['unit_price', 'line_total'],
            'ranges': {
                'quantity': 'quantity = 0',
                'unit_price': 'unit_price < 0',
                'line_total': 'abs(line_total) > ' ~ var('max_order_total'),
            },
        },
        {
            'source': 'crm.customers', 'source_name': 'crm', 'table': 'customers',
            'validated': 'int_customers_validated', 'clean': 'int_customers_deduplicated',
            'key': 'customer_id', 'timestamp': 'updated_at', 'max_lag_days': 30,
            'kept_order': 'case when updated_at is null then 1 else 0 end, updated_at desc, '
                          ~ latest_landed_order(),
            'compare': ['email', 'first_name', 'last_name', 'phone', 'gender', 'birth_date',
                        'country_code', 'region', 'city', 'income_band', 'signup_at', 'updated_at'],
            'amounts': [],
            'ranges': {
                'birth_date': 'birth_date > signup_at',
            },
        },
        {
            'source': 'crm.consent_events', 'source_name': 'crm', 'table': 'consent_events',
            'validated': 'int_consent_events_validated', 'clean': 'int_consent_events_deduplicated',
            'key': 'consent_event_id', 'timestamp': 'event_at', 'max_lag_days': 90,
            'compare': ['customer_id', 'channel', 'is_granted', 'consent_source', 'event_at'],
            'amounts': [],
            'ranges': {},
        },
        {
            'source': 'web.events', 'source_name': 'web', 'table': 'events',
            'validated': 'int_web_events_validated', 'clean': 'int_web_events_deduplicated',
            'key': 'event_id', 'timestamp': 'event_at', 'max_lag_days': 2,
            'compare': ['anonymous_id', 'customer_id', 'session_id', 'product_id', 'event_type',
                        'platform', 'page_url', 'category', 'event_at'],
            'amounts': [],
            'ranges': {},
        },
        {
            'source': 'email.events', 'source_name': 'email', 'table': 'events',
            'validated': 'int_email_events_validated', 'clean': 'int_email_events_deduplicated',
            'key': 'email_event_id', 'timestamp': 'event_at', 'max_lag_days': 14,
            'compare': ['customer_id', 'email', 'campaign_id', 'event_type', 'event_at'],
            'amounts': [],
            'ranges': {},
        },
        {
            'source': 'survey.responses', 'source_name': 'survey', 'table': 'responses',
            'validated': 'int_survey_responses_validated', 'clean': 'int_survey_responses_deduplicated',
            'key': 'response_id', 'timestamp': 'submitted_at', 'max_lag_days': 90,
            'compare': ['customer_id', 'email', 'preferred_channel', 'comment', 'nps_score',
                        'satisfaction_score', 'submitted_at'],
            'amounts': [],
            'ranges': {
                'nps_score': "dq_reason = 'out_of_range'",
                'satisfaction_score': "dq_reason = 'out_of_range'",
            },
        },
    ]) }}
{% endmacro %}


{#- dq_source(label): the dq_sources() entry of one source label, e.g. 'shop.orders'. -#}
{% macro dq_source(label) %}
    {% for s in dq_sources() if s.source == label %}
        {{ return(s) }}
    {% endfor %}
    {{ exceptions.raise_compiler_error("unknown dq source " ~ label) }}
{% endmacro %}
