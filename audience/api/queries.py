"""What the API reads from a snapshot. Every value from a request is a bound parameter."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from .snapshot import Snapshot

PROFILE_FIELDS = (
    "country_code",
    "region",
    "income_band",
    "signup_at",
    "order_count",
    "total_revenue",
    "avg_order_value",
    "first_order_at",
    "last_order_at",
    "recency_days",
    "tenure_days",
    "rfm_score",
    "rfm_segment",
    "has_crm_record",
)
SCORE_FIELDS = (
    "clv",
    "churn_probability",
    "p_alive",
    "expected_purchases",
    "expected_avg_order_value",
    "clv_decile",
    "churn_decile",
)


class BadCursor(ValueError):
    """A cursor that is not one this API wrote."""


class StaleCursor(ValueError):
    """A cursor from an earlier publish: paging must start again."""


def _placeholders(values: list) -> str:
    # an IN list of bound parameters: DuckDB answers it from the ART index (a join on an unnested
    # list would scan the whole table)
    return ", ".join("?" * len(values))


def persons_of_customers(snap: Snapshot, customer_ids: list[str]) -> dict[str, str]:
    """customer_id -> person_id for the ids that belong to a profiled person."""
    if not customer_ids:
        return {}
    marks = _placeholders(customer_ids)
    sql = f"select customer_id, person_id from customer_ids where customer_id in ({marks})"
    rows = snap.rows(sql, customer_ids)
    return {r["customer_id"]: r["person_id"] for r in rows}


def people(snap: Snapshot, person_ids: list[str], pii: bool) -> dict[str, dict]:
    """person_id -> the API's view of that person (without requested_id), for the profiled ones."""
    wanted = sorted(set(person_ids))
    if not wanted:
        return {}
    marks = _placeholders(wanted)
    rows = snap.rows(f"select * from people where person_id in ({marks})", wanted)
    segments: dict[str, list] = {}
    for m in snap.rows(
        "select person_id, segment_type, segment_name, reason, assigned_at from membership "
        f"where person_id in ({marks}) order by person_id, segment_type, segment_name",
        wanted,
    ):
        segments.setdefault(m.pop("person_id"), []).append(m)
    return {p["person_id"]: _view(snap, p, segments.get(p["person_id"], []), pii) for p in rows}


def _view(snap: Snapshot, p: dict, segments: list, pii: bool) -> dict:
    withheld: dict[str, str] = {}
    email = first_name = None
    if not pii:
        withheld = {"email": "no_pii_scope", "first_name": "no_pii_scope"}
    else:
        first_name = p["first_name"]
        if p["has_email_consent"] is True:
            email = p["email"]
        else:  # consent is honoured whatever the key
            withheld["email"] = "no_email_consent"
    profile = {
        "primary_customer_id": p["primary_customer_id"],
        "customer_ids": p["customer_ids"] or [],
        "email": email,
        "first_name": first_name,
        "withheld": withheld,
        **{k: p[k] for k in PROFILE_FIELDS},
        "consent": {
            "email": p["has_email_consent"],
            "sms": p["has_sms_consent"],
            "ads": p["has_ads_consent"],
            "marketing": p["has_marketing_consent"],
        },
    }
    return {
        "person_id": p["person_id"],
        "publish_id": snap.publish_id,
        "as_of_date": p["as_of_date"],
        "profile": profile,
        "scores": {k: p[k] for k in SCORE_FIELDS} if p["is_scored"] else None,
        "segments": segments,
        "model_versions": snap.model_versions,
    }


def encode_cursor(snap: Snapshot, key: list) -> str:
    raw = json.dumps({"p": snap.publish_id, "k": key}, default=str, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(snap: Snapshot, cursor: str, size: int) -> list:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        publish_id, key = data["p"], data["k"]
        valid = isinstance(key, list) and len(key) == size and all(isinstance(v, str) for v in key)
    except (ValueError, TypeError, KeyError):
        valid = False
    if not valid:
        raise BadCursor("cursor is not one this API returned")
    if publish_id != snap.publish_id:
        raise StaleCursor(
            f"cursor is from publish {publish_id}; the API now answers from publish {snap.publish_id}: "
            "start again without a cursor"
        )
    return key


def members(snap: Snapshot, segment_type: str, segment_name: str, limit: int, cursor: str | None) -> dict:
    after = decode_cursor(snap, cursor, 1)[0] if cursor else ""
    rows = snap.rows(
        "select person_id, primary_customer_id, reason, assigned_at from membership "
        "where segment_type = ? and segment_name = ? and person_id > ? order by person_id limit ?",
        [segment_type, segment_name, after, limit + 1],
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "publish_id": snap.publish_id,
        "segment_type": segment_type,
        "segment_name": segment_name,
        "members": rows,
        "next_cursor": encode_cursor(snap, [rows[-1]["person_id"]]) if more else None,
    }


def changes(
    snap: Snapshot, segment_type: str, segment_name: str, since: datetime, limit: int, cursor: str | None
) -> dict:
    if cursor:
        at_text, after_id = decode_cursor(snap, cursor, 2)
        try:
            after_at = datetime.fromisoformat(at_text)
        except ValueError as exc:
            raise BadCursor("cursor is not one this API returned") from exc
    else:
        after_at, after_id = since, ""
    rows = snap.rows(
        "select person_id, primary_customer_id, transition, transition_at, is_initial_load, reason, "
        "transition_id from transitions "
        "where segment_type = ? and segment_name = ? and transition_at >= ? "
        "and (transition_at > ? or (transition_at = ? and transition_id > ?)) "
        "order by transition_at, transition_id limit ?",
        [segment_type, segment_name, since, after_at, after_at, after_id, limit + 1],
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = encode_cursor(snap, [last["transition_at"].isoformat(), last["transition_id"]])
    for r in rows:
        del r["transition_id"]
    return {
        "publish_id": snap.publish_id,
        "segment_type": segment_type,
        "segment_name": segment_name,
        "since": since,
        "changes": rows,
        "next_cursor": next_cursor,
    }
