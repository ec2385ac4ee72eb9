"""The scoring API over HTTP against a real dbt build: every endpoint, checked against the BI
file it serves; authentication and scopes; consent; every kind of bad input."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from .conftest import bi_rows

pytestmark = pytest.mark.e2e


def publish_id(bi) -> str:
    return bi_rows(bi, "select distinct publish_id from bi_publish")[0]["publish_id"]


def person_truth(bi, person_id: str) -> dict:
    profile = bi_rows(bi, "select * from customer_profiles where person_id = ?", [person_id])[0]
    scores = bi_rows(bi, "select * from customer_scores where person_id = ?", [person_id])
    segments = bi_rows(
        bi,
        "select segment_type, segment_name, reason from segment_membership where person_id = ?",
        [person_id],
    )
    ids = bi_rows(bi, "select customer_id from customer_ids where person_id = ? order by 1", [person_id])
    return {
        "profile": profile,
        "scores": scores[0] if scores else None,
        "segments": segments,
        "ids": [r["customer_id"] for r in ids],
    }


def assert_error(reply, status: int, code: str | None = None) -> None:
    assert reply.status == status, reply
    assert set(reply.body) == {"error"} and reply.body["error"]["message"], reply.body
    if code:
        assert reply.body["error"]["code"] == code, reply.body


def test_health_names_the_published_build(api_server, api_bi):
    reply = api_server.call("GET", "/health")
    assert reply.status == 200
    assert reply.body["publish_id"] == publish_id(api_bi)
    assert reply.body["status"] == "ok" and reply.body["age_seconds"] >= 0
    assert reply.body["as_of_date"] == str(
        bi_rows(api_bi, "select max(as_of_date) d from customer_profiles")[0]["d"]
    )


def test_customer_lookup_matches_the_bi_file(api_server, api_keys, api_bi):
    """Scores, deciles, segments with reasons, as-of date and model versions, for every scored person."""
    people = bi_rows(api_bi, "select person_id, primary_customer_id from customer_profiles order by 1")
    versions = {r["model_name"]: r["model_version"] for r in bi_rows(api_bi, "select * from model_runs")}
    checked_scores = 0
    for row in people[:60]:
        truth = person_truth(api_bi, row["person_id"])
        reply = api_server.call("GET", f"/v1/customers/{row['primary_customer_id']}", api_keys["plain"])
        assert reply.status == 200, reply
        got = reply.body
        assert got["person_id"] == row["person_id"] and got["publish_id"] == publish_id(api_bi)
        assert got["as_of_date"] == str(truth["profile"]["as_of_date"])
        assert got["profile"]["customer_ids"] == truth["ids"]
        assert got["profile"]["order_count"] == truth["profile"]["order_count"]
        assert got["profile"]["consent"]["email"] == truth["profile"]["has_email_consent"]
        if truth["scores"] is None:
            assert got["scores"] is None
        else:
            checked_scores += 1
            for field in ("clv", "churn_probability", "p_alive", "clv_decile", "churn_decile"):
                assert got["scores"][field] == pytest.approx(truth["scores"][field]), field
        assert sorted((s["segment_type"], s["segment_name"], s["reason"]) for s in got["segments"]) == sorted(
            (s["segment_type"], s["segment_name"], s["reason"]) for s in truth["segments"]
        )
        assert {m["model_name"]: m["model_version"] for m in got["model_versions"]} == versions
    assert checked_scores > 20


def test_every_customer_id_of_a_stitched_person_finds_that_person(api_server, api_keys, api_bi):
    merged = bi_rows(
        api_bi,
        "select customer_id, person_id from customer_ids where person_id in "
        "(select person_id from customer_ids group by 1 having count(*) > 1) order by 1",
    )
    assert merged, "the generated data has no person with two customer_ids"
    for row in merged:
        reply = api_server.call("GET", f"/v1/customers/{row['customer_id']}", api_keys["plain"])
        assert reply.status == 200
        assert reply.body["person_id"] == row["person_id"]
        assert reply.body["requested_id"] == row["customer_id"]
        assert row["customer_id"] in reply.body["profile"]["customer_ids"]
        by_person = api_server.call("GET", f"/v1/persons/{row['person_id']}", api_keys["plain"])
        assert by_person.status == 200 and by_person.body["profile"] == reply.body["profile"]


def test_without_pii_scope_no_email_or_name(api_server, api_keys, api_bi):
    ids = [
        r["primary_customer_id"] for r in bi_rows(api_bi, "select primary_customer_id from customer_profiles")
    ]
    reply = api_server.call("POST", "/v1/customers:batchGet", api_keys["plain"], {"customer_ids": ids[:100]})
    assert reply.status == 200 and len(reply.body["customers"]) == 100
    text = json.dumps(reply.body)
    emails = bi_rows(api_bi, "select email, first_name from customer_profiles where email is not null")
    assert not any(r["email"] in text for r in emails)
    for c in reply.body["customers"]:
        assert c["profile"]["email"] is None and c["profile"]["first_name"] is None
        assert c["profile"]["withheld"] == {"email": "no_pii_scope", "first_name": "no_pii_scope"}


def test_pii_scope_sees_email_only_with_email_consent(api_server, api_keys, api_bi):
    rows = bi_rows(
        api_bi,
        "select primary_customer_id, email, first_name, has_email_consent from customer_profiles "
        "where email is not null order by has_email_consent, person_id",
    )
    assert {r["has_email_consent"] for r in rows} >= {True, False}
    without = [r for r in rows if r["has_email_consent"] is not True][:50]
    with_consent = [r for r in rows if r["has_email_consent"] is True][:50]
    for group in (without, with_consent):
        reply = api_server.call(
            "POST",
            "/v1/customers:batchGet",
            api_keys["pii"],
            {"customer_ids": [r["primary_customer_id"] for r in group]},
        )
        assert reply.status == 200
        by_id = {c["requested_id"]: c["profile"] for c in reply.body["customers"]}
        for r in group:
            profile = by_id[r["primary_customer_id"]]
            assert profile["first_name"] == r["first_name"]
            if r["has_email_consent"] is True:
                assert profile["email"] == r["email"] and "email" not in profile["withheld"]
            else:
                assert profile["email"] is None and profile["withheld"]["email"] == "no_email_consent"
                assert r["email"] not in json.dumps(reply.body)


def test_batch_get_keeps_order_and_lists_unknown_ids(api_server, api_keys, api_bi):
    ids = [
        r["primary_customer_id"]
        for r in bi_rows(api_bi, "select primary_customer_id from customer_profiles limit 3")
    ]
    asked = [ids[2], "NO_SUCH_ID", ids[0], ids[1]]
    reply = api_server.call("POST", "/v1/customers:batchGet", api_keys["plain"], {"customer_ids": asked})
    assert reply.status == 200
    assert [c["requested_id"] for c in reply.body["customers"]] == [ids[2], ids[0], ids[1]]
    assert reply.body["not_found"] == ["NO_SUCH_ID"]


def test_segments_list_sizes_and_definitions(api_server, api_keys, api_bi):
    reply = api_server.call("GET", "/v1/segments", api_keys["plain"])
    assert reply.status == 200
    sizes = {
        (r["segment_type"], r["segment_name"]): r["n"]
        for r in bi_rows(
            api_bi, "select segment_type, segment_name, count(*) n from segment_membership group by all"
        )
    }
    definitions = bi_rows(api_bi, "select * from segment_definitions")
    got = {(s["segment_type"], s["segment_name"]): s for s in reply.body["segments"]}
    assert set(got) == {(d["segment_type"], d["segment_name"]) for d in definitions}
    for d in definitions:
        key = (d["segment_type"], d["segment_name"])
        assert got[key]["size"] == sizes.get(key, 0) and got[key]["definition"] == d["definition"]


def test_members_pages_cover_the_segment_exactly_once(api_server, api_keys, api_bi):
    segment = bi_rows(
        api_bi,
        "select segment_type, segment_name, count(*) n from segment_membership "
        "group by all having count(*) > 15 order by n, segment_name limit 1",
    )[0]
    truth = {
        r["person_id"]
        for r in bi_rows(
            api_bi,
            "select person_id from segment_membership where segment_type = ? and segment_name = ?",
            [segment["segment_type"], segment["segment_name"]],
        )
    }
    path = f"/v1/segments/{segment['segment_type']}/{quote(segment['segment_name'])}/members?limit=7"
    seen, cursor, pages = [], None, 0
    while True:
        reply = api_server.call("GET", path + (f"&cursor={cursor}" if cursor else ""), api_keys["plain"])
        assert reply.status == 200, reply
        assert len(reply.body["members"]) <= 7
        seen += [m["person_id"] for m in reply.body["members"]]
        pages += 1
        cursor = reply.body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) and set(seen) == truth
    assert pages == -(-len(truth) // 7)  # the last page holds the last member: no empty page after it


def test_changes_since_lists_entries_and_exits(api_server, api_keys, api_bi):
    truth = bi_rows(
        api_bi,
        "select person_id, transition from segment_transitions "
        "where segment_type = 'rule' and segment_name = 'vip' order by transition_at, transition_id",
    )
    assert truth
    path = "/v1/segments/rule/vip/changes?since=2000-01-01T00:00:00Z&limit=5"
    seen, cursor = [], None
    while True:
        reply = api_server.call("GET", path + (f"&cursor={cursor}" if cursor else ""), api_keys["plain"])
        assert reply.status == 200, reply
        seen += [{"person_id": c["person_id"], "transition": c["transition"]} for c in reply.body["changes"]]
        cursor = reply.body["next_cursor"]
        if cursor is None:
            break
    assert seen == truth
    later = api_server.call("GET", "/v1/segments/rule/vip/changes?since=2999-01-01", api_keys["plain"])
    assert later.status == 200 and later.body["changes"] == [] and later.body["next_cursor"] is None


def test_no_key_unknown_key_and_revoked_key_get_401(api_server, api_keys, tmp_path):
    from audience.api.keys import create_key, revoke_key

    for key in (
        None,
        "",
        "aud_00000000_" + "x" * 43,
        # the real key with its last character changed (to one it is not)
        api_keys["pii"][:-1] + ("A" if api_keys["pii"][-1] != "A" else "B"),
        "Bearer " + api_keys["pii"],
    ):
        for method, path, body in (
            ("GET", "/v1/customers/C1", None),
            ("GET", "/v1/segments", None),
            ("POST", "/v1/customers:batchGet", {"customer_ids": ["C1"]}),
        ):
            reply = api_server.call(method, path, key, body)
            assert_error(reply, 401, "unauthorized")
            assert reply.headers.get("www-authenticate") == "ApiKey"
    key, record = create_key(api_keys["path"], "temporary", [])
    assert api_server.call("GET", "/v1/segments", key).status == 200
    revoke_key(api_keys["path"], record.key_id)
    assert_error(api_server.call("GET", "/v1/segments", key), 401, "unauthorized")
    assert api_keys["pii"] not in api_keys["path"].read_text()  # stored hashed only


@pytest.mark.parametrize(
    "path",
    [
        "/v1/customers/" + quote("C 1"),  # space: not a customer_id
        "/v1/customers/" + "C" * 129,  # too long
        "/v1/customers/" + quote("é"),
        "/v1/persons/C00000001",  # a person_id starts with p_
        "/v1/segments/nosuchtype/vip/members",
        "/v1/segments/rule/vip/members?limit=0",
        "/v1/segments/rule/vip/members?limit=1001",  # page over the maximum
        "/v1/segments/rule/vip/members?limit=ten",
        "/v1/segments/rule/vip/members?cursor=" + quote("not a cursor!"),
        "/v1/segments/rule/vip/members?cursor=bm90IGpzb24",  # base64 of 'not json'
        "/v1/segments/rule/vip/changes",  # since is required
        "/v1/segments/rule/vip/changes?since=yesterday",
        "/v1/segments/rule/vip/changes?since=9999-12-31T23:00:00-14:00",  # past year 9999 in UTC
    ],
)
def test_malformed_input_is_422(api_server, api_keys, path):
    assert_error(api_server.call("GET", path, api_keys["plain"]), 422)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/customers/NO_SUCH_CUSTOMER",
        "/v1/customers/" + quote("C1'OR'1'='1"),  # text, not SQL
        "/v1/persons/p_NOBODY",
        "/v1/segments/rule/no_such_segment/members",
        "/v1/segments/cluster/" + quote("No such persona") + "/changes?since=2020-01-01",
        "/v2/anything",
    ],
)
def test_unknown_is_404(api_server, api_keys, path):
    assert_error(api_server.call("GET", path, api_keys["plain"]), 404, "not_found")


def test_oversized_or_malformed_batches(api_server, api_keys):
    key = api_keys["plain"]
    assert_error(
        api_server.call(
            "POST", "/v1/customers:batchGet", key, {"customer_ids": [f"C{i}" for i in range(101)]}
        ),
        413,
        "batch_too_large",
    )
    assert_error(
        api_server.call("POST", "/v1/customers:batchGet", key, raw=b"x" * 70_000), 413, "body_too_large"
    )
    for body in (
        {"customer_ids": []},
        {"customer_ids": ["ok", "not ok"]},
        {"ids": ["C1"]},
        ["C1"],
        {"customer_ids": "C1"},
    ):
        assert_error(api_server.call("POST", "/v1/customers:batchGet", key, body), 422, "invalid_request")
    for raw in (b"{not json", b"\xff\xfe"):
        assert_error(api_server.call("POST", "/v1/customers:batchGet", key, raw=raw), 422, "invalid_request")


def test_stale_cursor_from_another_publish_is_409(api_server, api_keys):
    import base64

    forged = (
        base64.urlsafe_b64encode(json.dumps({"p": "older-publish", "k": ["p_C0"]}).encode())
        .decode()
        .rstrip("=")
    )
    assert_error(
        api_server.call("GET", f"/v1/segments/rule/vip/members?cursor={forged}", api_keys["plain"]),
        409,
        "publish_changed",
    )


def test_openapi_schema_and_docs_page(api_server):
    reply = api_server.call("GET", "/openapi.json")
    assert reply.status == 200
    paths = reply.body["paths"]
    assert {
        "/v1/customers/{customer_id}",
        "/v1/persons/{person_id}",
        "/v1/customers:batchGet",
        "/v1/segments",
        "/v1/segments/{segment_type}/{segment_name}/members",
        "/v1/segments/{segment_type}/{segment_name}/changes",
        "/health",
    } <= set(paths)
    assert reply.body["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    batch = reply.body["components"]["schemas"]["BatchGetRequest"]["properties"]["customer_ids"]
    assert batch["maxItems"] == 100
    import urllib.request

    with urllib.request.urlopen(api_server.url + "/docs", timeout=10) as page:
        assert b"swagger" in page.read().lower()


def test_nothing_published_yet_is_503(api_keys, tmp_path):
    from .conftest import ApiServer

    server = ApiServer(tmp_path / "audience_bi.duckdb", api_keys["path"], tmp_path / "serve.log")
    try:
        assert_error(server.call("GET", "/health"), 503, "not_published")
        assert_error(server.call("GET", "/v1/customers/C1", api_keys["plain"]), 503, "not_published")
        assert_error(server.call("GET", "/v1/customers/C1"), 401, "unauthorized")  # the key is checked first
    finally:
        server.stop()
