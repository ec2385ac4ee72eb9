"""The usual pandas + scikit-learn segmentation notebook, as a script: the baseline of the benchmarks.

Reads the same raw files as `dbt build` (CSV or Parquet from `audience generate`) and computes what a
typical "RFM + K-Means" tutorial computes, the way it computes it (read the files, parse, drop
duplicates, groupby, merge):

  per customer_id: order count, revenue, AOV, recency, tenure, discount share, sessions in the last
  90 days, email open rate; RFM quintiles (pd.qcut on ranks); StandardScaler + KMeans for k in
  2..8 with the silhouette score picking k.

It is deliberately simpler than the dbt project (no identity stitching, no quarantine with reason
codes, no consent, no CLV/churn, no tests), so the comparison favours pandas. Two concessions keep
it finishing at 1M customers, both as the scikit-learn docs recommend: KMeans uses n_init=1
(k-means++), and silhouette_score is computed on a random sample of 10,000 rows (the exact score is
O(n^2): hours at 1M). KMeans itself is fitted on every customer, as the tutorials do. Like
`audience.clustering`, KMeans runs with one OpenMP thread: on the shared 2-core machine two
spinning OpenMP threads made it 10-50x slower, which would flatter the dbt build unfairly.

    .venv/bin/python benchmarks/pandas_baseline.py --raw /tmp/bench/data/raw_100000_parquet_s42
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits


def read(raw: Path, stem: str, columns: list[str]) -> pd.DataFrame:
    """One source: <stem>.parquet or <stem>.csv plus any micro-batch files in <stem>/."""
    files = sorted(
        [p for p in (raw / f"{stem}.parquet", raw / f"{stem}.csv") if p.exists()]
        + list((raw / stem).glob("*.csv"))
        + list((raw / stem).glob("*.parquet"))
    )
    frames = [
        pd.read_parquet(f, columns=columns)
        if f.suffix == ".parquet"
        else pd.read_csv(f, usecols=columns, dtype=str, on_bad_lines="skip")
        for f in files
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def ts(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, errors="coerce", format="mixed", utc=True).dt.tz_localize(None)


def profile_features(raw: Path) -> pd.DataFrame:
    # ---------- orders
    orders = read(
        raw, "orders", ["order_id", "customer_id", "ordered_at", "order_total", "status", "discount_amount"]
    )
    orders = orders.drop_duplicates("order_id")
    orders["ordered_at"] = ts(orders["ordered_at"])
    orders["order_total"] = pd.to_numeric(orders["order_total"], errors="coerce")
    orders["discount_amount"] = pd.to_numeric(orders["discount_amount"], errors="coerce").fillna(0)
    orders = orders.dropna(subset=["customer_id", "ordered_at", "order_total"])
    orders = orders[(orders["order_total"] >= 0) & (orders["order_total"] <= 100_000)]
    orders["status"] = orders["status"].str.strip().str.lower()
    as_of = orders["ordered_at"].max().normalize()
    orders = orders[orders["ordered_at"] < as_of + pd.Timedelta(days=1)]
    completed = orders[orders["status"] == "completed"].copy()
    completed["is_discounted"] = (completed["discount_amount"] > 0).astype(int)
    per_customer = completed.groupby("customer_id").agg(
        order_count=("order_id", "count"),
        total_revenue=("order_total", "sum"),
        first_order_at=("ordered_at", "min"),
        last_order_at=("ordered_at", "max"),
        discounted_orders=("is_discounted", "sum"),
    )
    per_customer["avg_order_value"] = per_customer["total_revenue"] / per_customer["order_count"]
    per_customer["recency_days"] = (as_of - per_customer["last_order_at"].dt.normalize()).dt.days
    per_customer["discount_share"] = per_customer["discounted_orders"] / per_customer["order_count"]

    # ---------- customers (tenure from signup, else first order)
    customers = read(raw, "customers", ["customer_id", "signup_at", "updated_at"])
    customers["updated_at"] = ts(customers["updated_at"])
    customers = customers.sort_values("updated_at").drop_duplicates("customer_id", keep="last")
    customers["signup_at"] = ts(customers["signup_at"])
    profile = customers[["customer_id", "signup_at"]].merge(
        per_customer.reset_index(), on="customer_id", how="outer"
    )
    start = profile["signup_at"].fillna(profile["first_order_at"])
    profile["tenure_days"] = (as_of - start.dt.normalize()).dt.days

    # ---------- web sessions in the last 90 days
    web = read(raw, "web_events", ["event_id", "customer_id", "session_id", "event_at"])
    web = web.drop_duplicates("event_id").dropna(subset=["customer_id", "session_id"])
    web["event_at"] = ts(web["event_at"])
    recent = web[
        (web["event_at"] >= as_of - pd.Timedelta(days=89)) & (web["event_at"] < as_of + pd.Timedelta(days=1))
    ]
    sessions = recent.groupby("customer_id")["session_id"].nunique().rename("sessions_90d")
    profile = profile.merge(sessions.reset_index(), on="customer_id", how="left")

    # ---------- email open rate
    email = read(raw, "email_events", ["email_event_id", "customer_id", "campaign_id", "event_type"])
    email = email.drop_duplicates("email_event_id").dropna(subset=["customer_id"])
    email["event_type"] = email["event_type"].str.strip().str.lower()
    counts = pd.crosstab(email["customer_id"], email["event_type"])
    for col in ("sent", "delivered", "open"):
        if col not in counts:
            counts[col] = 0
    received = counts["delivered"].where(counts["delivered"] > 0, counts["sent"])
    open_rate = (counts["open"] / received.replace(0, np.nan)).clip(upper=1).rename("email_open_rate")
    profile = profile.merge(open_rate.reset_index(), on="customer_id", how="left")

    profile["sessions_90d"] = profile["sessions_90d"].fillna(0)
    profile["order_count"] = profile["order_count"].fillna(0)
    profile["total_revenue"] = profile["total_revenue"].fillna(0)
    return profile


def rfm(profile: pd.DataFrame) -> pd.DataFrame:
    buyers = profile[profile["order_count"] > 0].copy()
    buyers["r_score"] = (
        pd.qcut(buyers["recency_days"].rank(method="first", ascending=False), 5, labels=False) + 1
    )
    buyers["f_score"] = pd.qcut(buyers["order_count"].rank(method="first"), 5, labels=False) + 1
    buyers["m_score"] = pd.qcut(buyers["total_revenue"].rank(method="first"), 5, labels=False) + 1
    buyers["rfm_segment"] = (
        buyers["r_score"].astype(str) + buyers["f_score"].astype(str) + buyers["m_score"].astype(str)
    )
    return buyers


FEATURES = [
    "recency_days",
    "order_count",
    "avg_order_value",
    "tenure_days",
    "discount_share",
    "sessions_90d",
    "email_open_rate",
]
LOG_FEATURES = ["recency_days", "order_count", "avg_order_value", "tenure_days", "sessions_90d"]


def kmeans(buyers: pd.DataFrame, k_min: int = 2, k_max: int = 8, seed: int = 42) -> tuple[int, pd.Series]:
    X = buyers[FEATURES].copy()
    X[LOG_FEATURES] = np.log1p(X[LOG_FEATURES].clip(lower=0))
    X = X.fillna(X.median())
    Z = StandardScaler().fit_transform(X)
    best_k, best_score, best_labels = k_min, -1.0, None
    for k in range(k_min, k_max + 1):
        with threadpool_limits(limits=1):  # as audience.clustering does: no OpenMP oversubscription
            labels = KMeans(n_clusters=k, n_init=1, random_state=seed).fit_predict(Z)
            score = silhouette_score(Z, labels, sample_size=min(10_000, len(Z)), random_state=seed)
        print(f"  k={k} silhouette={score:.3f}", flush=True)
        if score > best_score:
            best_k, best_score, best_labels = k, score, labels
    return best_k, pd.Series(best_labels, index=buyers.index, name="cluster")


def main() -> None:
    ap = argparse.ArgumentParser(description="pandas + scikit-learn baseline")
    ap.add_argument("--raw", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=None, help="optional Parquet file for the segmented profiles")
    args = ap.parse_args()
    t0 = time.perf_counter()
    profile = profile_features(args.raw)
    t1 = time.perf_counter()
    buyers = rfm(profile)
    t2 = time.perf_counter()
    k, labels = kmeans(buyers)
    buyers["cluster"] = labels
    t3 = time.perf_counter()
    if args.out:
        buyers.to_parquet(args.out)
    print(
        f"profiles={len(profile):,} buyers={len(buyers):,} k={k} "
        f"features={t1 - t0:.1f}s rfm={t2 - t1:.1f}s kmeans={t3 - t2:.1f}s total={t3 - t0:.1f}s"
    )


if __name__ == "__main__":
    main()
