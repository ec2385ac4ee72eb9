"""The FastAPI application of `audience serve` (README, "Scoring API for a CRM")."""

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request, Security
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import queries
from .keys import ApiKey, KeyRing
from .schemas import (
    CURSOR_PATTERN,
    CUSTOMER_ID_PATTERN,
    DEFAULT_PAGE,
    MAX_BATCH,
    MAX_PAGE,
    PERSON_ID_PATTERN,
    SEGMENT_NAME_PATTERN,
    BatchGetRequest,
    BatchGetResponse,
    ChangePage,
    Customer,
    ErrorBody,
    Health,
    MemberPage,
    SegmentList,
    SegmentType,
)
from .snapshot import BiReader, NotPublished, Snapshot

MAX_BODY_BYTES = 64 * 1024  # a full batch of 128-character ids is about 14 KB

DESCRIPTION = f"""
Read-only scores and segments of the audience warehouse, for a CRM or any other client.

Answers come from the **read-only BI file** that a `dbt build` publishes when it succeeds: the
API never blocks a build and a build never blocks it. After a publish the API switches to the new
file; every answer carries the `publish_id` of the one build it was read from.

Authentication: send an API key in the `X-API-Key` header (create one with
`audience api-key create`). Keys with the `pii` scope also see a person's email (only with email
consent) and first name. `/health`, `/openapi.json` and `/docs` need no key.

Limits: at most {MAX_BATCH} ids per batchGet, at most {MAX_PAGE} rows per page, request bodies up
to {MAX_BODY_BYTES // 1024} KiB. Errors are JSON: `{{"error": {{"code", "message"}}}}`.
"""

ERRORS = {
    401: {"model": ErrorBody, "description": "No API key, or an unknown or revoked one."},
    404: {"model": ErrorBody, "description": "Unknown customer, person or segment."},
    422: {"model": ErrorBody, "description": "Malformed id or parameter."},
    503: {"model": ErrorBody, "description": "No BI file published yet."},
}
PAGE_ERRORS = {
    **ERRORS,
    409: {"model": ErrorBody, "description": "Cursor from an earlier publish: start again."},
}
BATCH_ERRORS = {
    **ERRORS,
    413: {"model": ErrorBody, "description": f"More than {MAX_BATCH} ids or body too large."},
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str, details: list | None = None, headers=None):
    body = {"error": {"code": code, "message": message}}
    if details is not None:
        body["error"]["details"] = details
    return JSONResponse(status_code=status, content=body, headers=headers)


class BodyLimit:
    """Answer 413 to a request body over `limit` bytes before anything parses it."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await self._reject(scope, receive, send)
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                return await self._reject(scope, receive, send)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    async def _reject(self, scope, receive, send):
        response = error_response(413, "body_too_large", f"request body over {self.limit} bytes")
        await response(scope, receive, send)


def create_app(bi_path: str | Path, keys_path: str | Path, threads: int = 2) -> FastAPI:
    reader = BiReader(bi_path, threads=threads)
    keyring = KeyRing(Path(keys_path))
    app = FastAPI(
        title="audience scoring API",
        version="1",
        description=DESCRIPTION,
    )
    app.state.reader = reader
    app.state.keyring = keyring
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    _add_error_handlers(app)
    key, snap = _dependencies(reader, keyring)
    _add_health_route(app, reader, snap)
    _add_customer_routes(app, key, snap)
    _add_segment_routes(app, key, snap)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    """Every error answers with a JSON body: ``{"error": {"code", "message"}}``."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        headers = {"WWW-Authenticate": "ApiKey"} if exc.status == 401 else None
        return error_response(exc.status, exc.code, exc.message, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400:  # a body FastAPI cannot parse (not UTF-8, not JSON): malformed input
            return error_response(422, "invalid_request", str(exc.detail))
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        details = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        if any(d["type"] == "too_long" and d["loc"][:2] == ["body", "customer_ids"] for d in details):
            return error_response(
                413, "batch_too_large", f"at most {MAX_BATCH} customer_ids per call", details
            )
        return error_response(422, "invalid_request", "malformed id or parameter", details)

    @app.exception_handler(NotPublished)
    async def _not_published(request: Request, exc: NotPublished):
        return error_response(503, "not_published", str(exc))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # pragma: no cover - a bug, logged by uvicorn
        return error_response(500, "internal_error", "internal error")


def _dependencies(reader: BiReader, keyring: KeyRing):
    """The ``Key`` (authenticated API key) and ``Snap`` (current publish) parameter types."""
    api_key_header = APIKeyHeader(
        name="X-API-Key", auto_error=False, description="An key from `audience api-key create`."
    )

    def snapshot() -> Snapshot:
        return reader.current()

    def api_key(key: Annotated[str | None, Security(api_key_header)]) -> ApiKey:
        record = keyring.authenticate(key)
        if record is None:
            raise ApiError(401, "unauthorized", "send a valid API key in the X-API-Key header")
        return record

    return Annotated[ApiKey, Depends(api_key)], Annotated[Snapshot, Depends(snapshot)]


def _check_segment(snap: Snapshot, segment_type: str, segment_name: str) -> None:
    if (segment_type, segment_name) not in snap.segment_keys:
        raise ApiError(404, "not_found", f"no segment {segment_type}/{segment_name} in this publish")


def _add_health_route(app: FastAPI, reader: BiReader, Snap) -> None:
    @app.get("/health", response_model=Health, responses={503: ERRORS[503]}, tags=["health"])
    def health(snap: Snap):
        """The publish the API answers from and how old it is (no key needed)."""
        return {
            "status": "ok",
            "publish_id": snap.publish_id,
            "build_started_at": snap.build_started_at,
            "published_at": snap.published_at,
            "age_seconds": round(max(0.0, time.time() - snap.file_mtime), 3),
            "as_of_date": snap.as_of_date,
            "snapshot_loaded_in_seconds": round(snap.loaded_in_s, 3),
            "last_load_error": reader.last_error,
        }


def _add_customer_routes(app: FastAPI, Key, Snap) -> None:
    @app.get("/v1/customers/{customer_id}", response_model=Customer, responses=ERRORS, tags=["customers"])
    def get_customer(
        key: Key,
        snap: Snap,
        customer_id: Annotated[str, PathParam(pattern=CUSTOMER_ID_PATTERN, description="A CRM customer_id.")],
    ):
        """The person behind a CRM customer_id (after identity stitching): profile, scores, segments."""
        person_id = queries.persons_of_customers(snap, [customer_id]).get(customer_id)
        found = queries.people(snap, [person_id], "pii" in key.scopes).get(person_id) if person_id else None
        if not found:
            raise ApiError(404, "not_found", f"no profiled person has customer_id {customer_id}")
        return {**found, "requested_id": customer_id}

    @app.get("/v1/persons/{person_id}", response_model=Customer, responses=ERRORS, tags=["customers"])
    def get_person(
        key: Key,
        snap: Snap,
        person_id: Annotated[str, PathParam(pattern=PERSON_ID_PATTERN, description="A person_id (p_...).")],
    ):
        """The same answer as /v1/customers/{customer_id}, by the warehouse's person_id."""
        found = queries.people(snap, [person_id], "pii" in key.scopes).get(person_id)
        if not found:
            raise ApiError(404, "not_found", f"no profiled person {person_id}")
        return {**found, "requested_id": person_id}

    @app.post(
        "/v1/customers:batchGet", response_model=BatchGetResponse, responses=BATCH_ERRORS, tags=["customers"]
    )
    def batch_get(key: Key, snap: Snap, body: BatchGetRequest):
        """Up to MAX_BATCH customers in one call, all from one publish."""
        asked = list(dict.fromkeys(body.customer_ids))  # each id read once
        persons = queries.persons_of_customers(snap, asked)
        views = queries.people(snap, list(persons.values()), "pii" in key.scopes)
        found, missing = [], []
        for customer_id in body.customer_ids:
            view = views.get(persons.get(customer_id, ""))
            if view:
                found.append({**view, "requested_id": customer_id})
            else:
                missing.append(customer_id)
        return {"publish_id": snap.publish_id, "customers": found, "not_found": missing}


def _add_segment_routes(app: FastAPI, Key, Snap) -> None:
    @app.get("/v1/segments", response_model=SegmentList, responses=ERRORS, tags=["segments"])
    def list_segments(key: Key, snap: Snap):
        """Every segment with its definition and size in this publish."""
        return {"publish_id": snap.publish_id, "as_of_date": snap.as_of_date, "segments": snap.segments}

    @app.get(
        "/v1/segments/{segment_type}/{segment_name}/members",
        response_model=MemberPage,
        responses=PAGE_ERRORS,
        tags=["segments"],
    )
    def segment_members(
        key: Key,
        snap: Snap,
        segment_type: SegmentType,
        segment_name: Annotated[str, PathParam(pattern=SEGMENT_NAME_PATTERN)],
        limit: Annotated[
            int, Query(ge=1, le=MAX_PAGE, description=f"rows per page, at most {MAX_PAGE}")
        ] = DEFAULT_PAGE,
        cursor: Annotated[
            str | None, Query(pattern=CURSOR_PATTERN, description="next_cursor of the previous page")
        ] = None,
    ):
        """Members of a segment in person_id order, a page at a time (cursor pagination)."""
        _check_segment(snap, segment_type, segment_name)
        return page(lambda: queries.members(snap, segment_type, segment_name, limit, cursor))

    @app.get(
        "/v1/segments/{segment_type}/{segment_name}/changes",
        response_model=ChangePage,
        responses=PAGE_ERRORS,
        tags=["segments"],
    )
    def segment_changes(
        key: Key,
        snap: Snap,
        segment_type: SegmentType,
        segment_name: Annotated[str, PathParam(pattern=SEGMENT_NAME_PATTERN)],
        since: Annotated[
            datetime, Query(description="Changes at or after this time (ISO 8601; UTC if no offset).")
        ],
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
        cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN)] = None,
    ):
        """Who entered or exited the segment since a time, oldest first (for a CRM sync)."""
        _check_segment(snap, segment_type, segment_name)
        if since.tzinfo is not None:
            try:
                since = since.astimezone(UTC).replace(tzinfo=None)
            except OverflowError as exc:
                raise ApiError(422, "invalid_request", "since is out of range in UTC") from exc
        return page(lambda: queries.changes(snap, segment_type, segment_name, since, limit, cursor))


def page(read):
    try:
        return read()
    except queries.StaleCursor as exc:
        raise ApiError(409, "publish_changed", str(exc)) from exc
    except queries.BadCursor as exc:
        raise ApiError(422, "invalid_request", str(exc)) from exc
