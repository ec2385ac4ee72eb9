"""A synthetic BI file of the shape the scoring API reads, built directly in DuckDB.

Building a 1M-customer warehouse with `dbt build` takes far longer than this machine allows
for a load test, so `benchmarks/api_load.py` serves a file written here instead: the tables and
columns the API reads (customer_profiles, customer_ids, customer_scores, segment_membership,
segment_transitions, segment_definitions, model_runs, bi_publish) with the proportions of a real
build on generated data: about 2% of persons with a second customer_id, 94% of persons scored,
three segment memberships and three transitions per person, 19 segments, 3 model runs. Values
are random; only sizes and types matter for a load test. Written under a temporary name and
renamed into place, like a real publish.

    .venv/bin/python benchmarks/api_bi_file.py --customers 1000000 --out /tmp/api_bi_1m.duckdb
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from pathlib import Path

import duckdb

SEGMENTS = {
    "rule": [
        "vip",
        "loyal_customers",
        "win_back",
        "second_purchase_prospects",
        "high_engagement_buyers",
        "infrequent_browsers",
        "discount_seekers",
    ],
    "trigger": ["abandoned_cart", "browse_abandonment", "win_back", "high_value_browsing"],
    "cluster": [
        "Deal hunters",
        "Lapsed big spenders",
        "New visitors",
        "Occasional shoppers",
        "High-value loyalists",
    ],
    "predictive": ["high_clv_low_churn", "at_risk_high_value", "likely_to_return"],
}


def build(path: Path, customers: int, seed: int = 1, publish_id: str | None = None) -> str:
    """Write the file; return its publish id."""
    publish_id = publish_id or str(uuid.uuid4())
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    con.execute(f"select setseed({(seed % 1000) / 1000})")
    con.execute("create table n as select range as i from range(?)", [customers])
    con.execute("""
        create table customer_profiles as
        select 'p_C' || lpad(cast(i as varchar), 8, '0') as person_id,
            'C' || lpad(cast(i as varchar), 8, '0') as primary_customer_id,
            case when i % 50 = 0 then 2 else 1 end as customer_id_count,
            'person' || i || '@example.org' as email, 'Name' || (i % 997) as first_name,
            ['DE', 'FR', 'US', 'GB', 'ES'][1 + i % 5] as country_code, 'Region ' || (i % 40) as region,
            ['low', 'middle', 'high'][1 + i % 3] as income_band,
            timestamp '2023-01-01' + to_seconds(cast(random() * 8e7 as bigint)) as signup_at,
            cast(random() * 40 as integer) as order_count, round(random() * 5000, 2) as total_revenue,
            round(random() * 200, 2) as avg_order_value,
            timestamp '2023-06-01' + to_seconds(cast(random() * 3e7 as bigint)) as first_order_at,
            timestamp '2024-06-01' + to_seconds(cast(random() * 4e7 as bigint)) as last_order_at,
            cast(random() * 700 as integer) as recency_days, cast(random() * 1000 as integer) as tenure_days,
            '' || (1 + i % 5) || (1 + i % 4) || (1 + i % 3) as rfm_score,
            ['champions', 'loyal', 'at_risk', 'hibernating'][1 + i % 4] as rfm_segment,
            random() < 0.85 as has_email_consent, random() < 0.5 as has_sms_consent,
            random() < 0.7 as has_ads_consent, random() < 0.6 as has_marketing_consent,
            true as has_crm_record, date '2025-12-31' as as_of_date
        from n order by random()
    """)
    con.execute("""
        create table customer_ids as
        select primary_customer_id as customer_id, person_id from customer_profiles
        union all
        select 'D' || substr(primary_customer_id, 2), person_id
        from customer_profiles where customer_id_count = 2
    """)
    con.execute("""
        create table customer_scores as
        select person_id, random() * 2000 as clv, random() as churn_probability, random() as p_alive,
            random() * 10 as expected_purchases, random() * 150 as expected_avg_order_value,
            1 + cast(random() * 9.99 as integer) as clv_decile,
            1 + cast(random() * 9.99 as integer) as churn_decile,
            as_of_date
        from customer_profiles where random() < 0.94
    """)
    values = ", ".join(f"('{t}', '{n}')" for t, names in SEGMENTS.items() for n in names)
    con.execute(
        f"create table segment_definitions as select t as segment_type, n as segment_name, "
        f"'about ' || n as description, 'rule for ' || n as definition from (values {values}) v(t, n)"
    )
    con.execute("""
        create table segment_membership as
        with numbered as (
            select *, row_number() over (order by segment_type, segment_name) - 1 as k,
                count(*) over () as nseg
            from segment_definitions
        )
        select md5(p.person_id || s.segment_type || s.segment_name) as membership_id, p.person_id,
            s.segment_type, s.segment_name, 'because ' || s.segment_name || ' rule held' as reason,
            timestamp '2025-12-31' as assigned_at, date '2025-12-31' as as_of_date
        from customer_profiles as p
        cross join (select unnest([0, 1, 2]) as j) as j
        join numbered as s on s.k = (hash(p.person_id) + j.j * 7) % s.nseg
    """)
    con.execute("""
        create table segment_transitions as
        select md5(membership_id || 'entered') as transition_id, person_id, segment_type, segment_name,
            'entered' as transition, timestamp '2025-12-31 06:00:00' as transition_at,
            date '2025-12-31' as transition_date, true as is_initial_load, reason
        from segment_membership
    """)
    con.execute("""
        create table model_runs as
        select * from (values
            ('bgnbd_gamma_gamma', 'bgnbd_gamma_gamma-synthetic', timestamptz '2025-12-31 06:00:00+00'),
            ('churn_classifier', 'churn_classifier-synthetic', timestamptz '2025-12-31 06:00:00+00'),
            ('kmeans_segments', 'kmeans_segments-synthetic', timestamptz '2025-12-31 06:00:00+00')
        ) v(model_name, model_version, trained_at)
    """)
    con.execute("alter table model_runs add column as_of_date date default date '2025-12-31'")
    tables = [
        "customer_profiles",
        "customer_ids",
        "customer_scores",
        "segment_definitions",
        "segment_membership",
        "segment_transitions",
        "model_runs",
    ]
    counts = " union all ".join(f"select '{t}' as table_name, count(*) as row_count from {t}" for t in tables)
    con.execute(
        f"create table bi_publish as select ? as publish_id, localtimestamp as build_started_at, "
        f"localtimestamp as published_at, c.* from ({counts}) c",
        [publish_id],
    )
    con.execute("drop table n")
    con.execute("checkpoint")
    con.close()
    os.replace(tmp, path)
    return publish_id


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    start = time.perf_counter()
    publish_id = build(args.out, args.customers)
    size = args.out.stat().st_size / 2**20
    print(
        f"{args.out}: {args.customers:,} customers, {size:,.0f} MiB, publish {publish_id}, "
        f"{time.perf_counter() - start:.1f}s"
    )


if __name__ == "__main__":
    main()
