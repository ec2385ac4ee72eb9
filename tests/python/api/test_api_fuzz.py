"""The API fuzzed from its own OpenAPI schema with schemathesis: whatever a client sends within
or around the schema, no 5xx and every response matches the schema. Bounded: a fixed number of
examples per operation and a per-example deadline.

The schema is the one the server publishes at /openapi.json (test_api_endpoints checks it is
served); it is taken from the application object here because schemathesis collects the
operations before any fixture runs."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from audience.api.app import create_app

pytestmark = pytest.mark.e2e

EXAMPLES = 40

# schemathesis's default statuses for rejected invalid data, plus 413: the API answers an
# oversized batch with 413, as documented in its schema
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": REJECTED}}}
)
schema = schemathesis.openapi.from_dict(
    create_app("unused_bi.duckdb", "unused_keys.json").openapi(), config=CONFIG
)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=5000,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_api_fuzzed_from_its_schema(case, api_server, api_keys):
    case.call_and_validate(base_url=api_server.url, headers={"X-API-Key": api_keys["pii"]})
