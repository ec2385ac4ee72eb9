"""A publish while the API answers a stream of requests: no 5xx, every answer from one build, and
the API moves to the new build by itself.

The second publish is real: the warehouse copy gets different scores and segments, then
`dbt run-operation publish_bi` (the same macro as the on-run-end hook) writes and renames the
new BI file while a client keeps calling the server.
"""

from __future__ import annotations

import shutil
import threading
import time

import duckdb
import pytest

from ..conftest import run_dbt_ok
from .conftest import ApiServer, bi_file, bi_rows

pytestmark = pytest.mark.e2e
SAMPLE = 40


def truth(bi, ids: list[str]) -> dict:
    """customer_id -> (clv, sorted segments) in the BI file, the answer each build must give."""
    out = {}
    for customer_id in ids:
        rows = bi_rows(
            bi,
            "select s.clv, list(m.segment_type || '/' || m.segment_name order by 1) as segments "
            "from customer_ids c left join customer_scores s using (person_id) "
            "left join segment_membership m using (person_id) where c.customer_id = ? group by s.clv",
            [customer_id],
        )
        out[customer_id] = (round(rows[0]["clv"] or 0, 6), sorted(s for s in rows[0]["segments"] if s))
    return out


def answer(customer: dict) -> tuple:
    segments = sorted(f"{s['segment_type']}/{s['segment_name']}" for s in customer["segments"])
    return (round((customer["scores"] or {}).get("clv") or 0, 6), segments)


def test_publish_during_a_stream_of_requests(api_build, api_keys, tmp_path):
    work = tmp_path / "publish"
    work.mkdir()
    db = work / "audience.duckdb"
    shutil.copy(api_build.db_path, db)
    shutil.copy(bi_file(api_build), bi_file_of(db))
    bi = bi_file_of(db)
    ids = [
        r["customer_id"]
        for r in bi_rows(bi, f"select customer_id from customer_ids order by 1 limit {SAMPLE}")
    ]
    old_publish = bi_rows(bi, "select distinct publish_id from bi_publish")[0]["publish_id"]
    expected = {old_publish: truth(bi, ids)}

    # the next build's marts differ: other CLVs, and the rule segments are gone
    con = duckdb.connect(str(db))
    con.execute("update customer_scores set clv = clv * 2 + 1")
    con.execute("delete from segment_membership where segment_type = 'rule'")
    con.close()

    server = ApiServer(bi, api_keys["path"], work / "serve.log")
    key = api_keys["plain"]
    problems: list[str] = []
    seen: dict[str, int] = {}
    stop = threading.Event()

    def client():
        i = 0
        while not stop.is_set():
            i += 1
            customer_id = ids[i % len(ids)]
            if i % 3 == 0:
                reply = server.call("POST", "/v1/customers:batchGet", key, {"customer_ids": ids})
                customers = reply.body.get("customers", []) if reply.status == 200 else []
            else:
                reply = server.call("GET", f"/v1/customers/{customer_id}", key)
                customers = [reply.body] if reply.status == 200 else []
            if reply.status != 200:
                problems.append(f"{reply.status}: {reply.body}")
                continue
            publish = reply.body["publish_id"]
            seen[publish] = seen.get(publish, 0) + 1
            for c in customers:
                if c["publish_id"] != publish:
                    problems.append(f"one answer holds publishes {publish} and {c['publish_id']}")
                if publish in expected and answer(c) != expected[publish][c["requested_id"]]:
                    problems.append(f"{c['requested_id']} in publish {publish}: {answer(c)}")
            if publish not in expected:
                answers[publish] = answers.get(publish, []) + [
                    (c["requested_id"], answer(c)) for c in customers
                ]

    answers: dict[str, list] = {}
    threads = [threading.Thread(target=client) for _ in range(2)]
    try:
        for t in threads:
            t.start()
        time.sleep(1)
        # the export views read paths relative to the directory of the build that wrote them
        build_dir = api_build.target_dir.parent
        run_dbt_ok(
            "dbt run-operation publish_bi",
            ["run-operation", "publish_bi"],
            api_build.raw_dir,
            db,
            work,
            cwd=build_dir,
        )
        new_publish = bi_rows(bi, "select distinct publish_id from bi_publish")[0]["publish_id"]
        assert new_publish != old_publish
        expected[new_publish] = truth(bi, ids)
        deadline = time.monotonic() + 60
        while seen.get(new_publish, 0) < 20 and time.monotonic() < deadline and not problems:
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
        server.stop()

    assert not problems, problems[:5]
    assert seen.get(old_publish, 0) > 0 and seen.get(new_publish, 0) >= 20, seen
    assert expected[old_publish] != expected[new_publish]
    # answers received before the test knew the new build's truth, checked now
    for publish, got in answers.items():
        assert publish in expected, f"an answer from an unknown publish {publish}"
        for customer_id, value in got:
            assert value == expected[publish][customer_id], (publish, customer_id)


def bi_file_of(db):
    return db.with_name(db.stem + "_bi.duckdb")
