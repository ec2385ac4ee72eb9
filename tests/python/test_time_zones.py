"""Timestamps are read as UTC whatever the machine's time zone, and slashed dates in their file's order.

One small raw folder, staged twice, with the build's process in two different time zones
(TZ=America/New_York and TZ=Asia/Kolkata):
  - orders.csv: ISO timestamps with offsets (`+05:00`, ` -0300`, `Z`, `+05`) and slashed dates
    of which one (13/03/2025) can only be DD/MM, so the file's other slashed dates are DD/MM;
  - survey_responses.csv: one slashed date can only be MM/DD (03/14/2025), so the file is MM/DD;
  - consent_events.csv: only slashed dates that read both ways: quarantined `ambiguous_date`;
  - web_events.parquet: a zone-aware timestamp column (Asia/Kolkata), which landing turns into
    text in the session's zone.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from .conftest import DbtRun, run_dbt_ok

pytestmark = pytest.mark.e2e

MODELS = ["stg_shop__orders", "stg_survey__responses", "stg_crm__consent_events", "stg_web__events"]
ZONES = ["America/New_York", "Asia/Kolkata"]

ORDERS = {
    # order_id: (ordered_at as written, the UTC value it means)
    "OFF_PLUS": ("2025-03-01T10:00:00+05:00", dt.datetime(2025, 3, 1, 5, 0)),
    "OFF_MINUS": ("2025-03-01 10:00:00 -0300", dt.datetime(2025, 3, 1, 13, 0)),
    "OFF_Z": ("2025-03-01T10:00:00Z", dt.datetime(2025, 3, 1, 10, 0)),
    "OFF_HOURS": ("2025-03-01T10:00:00+05", dt.datetime(2025, 3, 1, 5, 0)),
    "OFF_FRACTION": ("2025-03-01T10:00:00.250+05:30", dt.datetime(2025, 3, 1, 4, 30, 0, 250000)),
    "DMY_ONLY": ("13/03/2025", dt.datetime(2025, 3, 13)),
    "DMY_BY_FILE": ("04/03/2025", dt.datetime(2025, 3, 4)),
    "DMY_BY_FILE_TIME": ("02/03/2025 08:30", dt.datetime(2025, 3, 2, 8, 30)),
}
SURVEYS = {
    "MDY_ONLY": ("03/14/2025", dt.datetime(2025, 3, 14)),
    "MDY_BY_FILE": ("03/04/2025", dt.datetime(2025, 3, 4)),
}
# event_id: the UTC instant the Parquet column (zone Asia/Kolkata) holds; July is summer time in New York
EVENTS = {"W_WINTER": dt.datetime(2025, 3, 1, 10, 0), "W_SUMMER": dt.datetime(2025, 7, 1, 23, 30)}


def _folder(raw: Path) -> None:
    raw.mkdir(parents=True)
    lines = ["order_id,customer_id,ordered_at,order_total,currency,status,channel,discount_amount"]
    lines += [f"{key},C1,{at},10.00,EUR,completed,web,0" for key, (at, _) in ORDERS.items()]
    (raw / "orders.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = ["response_id,customer_id,email,submitted_at,nps_score,satisfaction_score"]
    lines += [f"{key},C1,,{at},9,5" for key, (at, _) in SURVEYS.items()]
    (raw / "survey_responses.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (raw / "consent_events.csv").write_text(
        "consent_event_id,customer_id,channel,status,event_at,source\n"
        "AMB_1,C1,email,granted,03/04/2025,form\n"
        "AMB_2,C1,email,revoked,05/06/2025 10:00,form\n"
        "SAME_PARTS,C1,sms,granted,05/05/2025,form\n",
        encoding="utf-8",
    )
    utc = [value.replace(tzinfo=dt.UTC) for value in EVENTS.values()]
    pq.write_table(
        pa.table(
            {
                "event_id": list(EVENTS),
                "anonymous_id": ["d1", "d1"],
                "session_id": ["s1", "s1"],
                "event_type": ["page_view", "page_view"],
                "event_at": pa.array(utc, pa.timestamp("us", tz="UTC")).cast(
                    pa.timestamp("us", tz="Asia/Kolkata")
                ),
            }
        ),
        raw / "web_events.parquet",
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, DbtRun]:
    work = tmp_path_factory.mktemp("time_zones")
    raw = work / "raw"
    _folder(raw)
    out = {}
    for zone in ZONES:
        zone_dir = work / zone.replace("/", "_")
        zone_dir.mkdir()
        out[zone] = run_dbt_ok(
            f"dbt run in {zone}",
            ["run", "--select", *MODELS],
            raw,
            zone_dir / "audience.duckdb",
            zone_dir,
            extra_env={"TZ": zone},
        )
    return out


@pytest.mark.parametrize("zone", ZONES)
def test_offsets_convert_to_utc(runs, zone):
    got = dict(runs[zone].query("select order_id, ordered_at from stg_shop__orders"))
    assert got == {key: utc for key, (_, utc) in ORDERS.items()}
    reasons = runs[zone].query("select distinct dq_reason from stg_shop__orders")
    assert reasons == [(None,)]


@pytest.mark.parametrize("zone", ZONES)
def test_zone_aware_parquet_timestamps_are_utc_in_any_machine_zone(runs, zone):
    got = dict(runs[zone].query("select event_id, event_at from stg_web__events"))
    assert got == EVENTS


@pytest.mark.parametrize("zone", ZONES)
def test_slashed_dates_follow_the_file_order_or_are_quarantined(runs, zone):
    survey = dict(runs[zone].query("select response_id, submitted_at from stg_survey__responses"))
    assert survey == {key: value for key, (_, value) in SURVEYS.items()}
    consent = {
        key: (event_at, reason)
        for key, event_at, reason in runs[zone].query(
            "select consent_event_id, event_at, dq_reason from stg_crm__consent_events"
        )
    }
    assert consent == {
        "AMB_1": (None, "ambiguous_date"),
        "AMB_2": (None, "ambiguous_date"),
        "SAME_PARTS": (dt.datetime(2025, 5, 5), None),
    }
