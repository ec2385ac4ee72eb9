"""Request and response bodies of the scoring API (they make its OpenAPI schema)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

MAX_BATCH = 100  # ids in one POST /v1/customers:batchGet
MAX_PAGE = 1000  # rows in one page of members or changes
DEFAULT_PAGE = 100

# A customer_id as the sources spell it: 1 to 128 printable ASCII characters without spaces.
CUSTOMER_ID_PATTERN = r"^[!-~]{1,128}$"
PERSON_ID_PATTERN = r"^p_[!-~]{1,128}$"
# segment names are free text (cluster personas have spaces): no control characters or '/'
SEGMENT_NAME_PATTERN = r"^[^\x00-\x1f\x7f/]{1,128}$"
CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,512}$"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The warehouse keeps timestamps in UTC without a zone (macros/standardize/parse_timestamp.sql);
# answers carry the zone, as RFC 3339 date-times must.
UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
CustomerId = Annotated[str, StringConstraints(pattern=CUSTOMER_ID_PATTERN)]
SegmentType = Literal["rule", "cluster", "predictive", "trigger"]
Withheld = Literal["no_pii_scope", "no_email_consent"]


class ErrorDetail(BaseModel):
    code: str = Field(description="Machine-readable error code, e.g. not_found, invalid_request.")
    message: str = Field(description="What was wrong, in words.")
    details: list[dict] | None = Field(
        default=None, description="For invalid_request: the offending fields (location and reason)."
    )


class ErrorBody(BaseModel):
    error: ErrorDetail


class Consent(BaseModel):
    email: bool | None = Field(description="Opted in to marketing email (latest consent event).")
    sms: bool | None
    ads: bool | None
    marketing: bool | None


class Profile(BaseModel):
    primary_customer_id: str | None = Field(description="The customer_id of the person's current CRM record.")
    customer_ids: list[str] = Field(description="Every customer_id stitched to this person.")
    email: str | None = Field(
        description="Only for keys with the pii scope and only with email consent; else null (see withheld)."
    )
    first_name: str | None = Field(description="Only for keys with the pii scope; else null.")
    withheld: dict[str, Withheld] = Field(
        description="Fields left null on purpose and why: no_pii_scope (the key lacks the pii scope) "
        "or no_email_consent (the person has not consented to email)."
    )
    country_code: str | None
    region: str | None
    income_band: str | None
    signup_at: UtcDatetime | None
    order_count: int | None
    total_revenue: float | None
    avg_order_value: float | None
    first_order_at: UtcDatetime | None
    last_order_at: UtcDatetime | None
    recency_days: int | None
    tenure_days: int | None
    rfm_score: str | None
    rfm_segment: str | None
    has_crm_record: bool | None
    consent: Consent


class Scores(BaseModel):
    clv: float | None = Field(
        description="Discounted expected revenue over the CLV horizon (BG/NBD + Gamma-Gamma)."
    )
    churn_probability: float | None = Field(
        description="Probability of no purchase within the churn horizon."
    )
    p_alive: float | None = Field(description="BG/NBD probability that the customer is still active.")
    expected_purchases: float | None
    expected_avg_order_value: float | None
    clv_decile: int | None = Field(description="1 (lowest CLV) to 10 (highest).")
    churn_decile: int | None = Field(description="1 (lowest churn probability) to 10 (highest).")


class SegmentMembership(BaseModel):
    segment_type: SegmentType
    segment_name: str
    reason: str | None = Field(description="Why the person is in the segment, in words.")
    assigned_at: UtcDatetime | None


class ModelVersion(BaseModel):
    model_name: str
    model_version: str
    trained_at: UtcDatetime | None


class Customer(BaseModel):
    person_id: str = Field(description="The person after identity stitching.")
    requested_id: str = Field(description="The customer_id or person_id that was asked for.")
    publish_id: str = Field(description="The build this answer comes from (bi_publish.publish_id).")
    as_of_date: date | None
    profile: Profile
    scores: Scores | None = Field(description="Null for a person without orders (not scored).")
    segments: list[SegmentMembership]
    model_versions: list[ModelVersion]


class BatchGetRequest(BaseModel):
    customer_ids: list[CustomerId] = Field(
        min_length=1, max_length=MAX_BATCH, description=f"1 to {MAX_BATCH} customer_ids."
    )


class BatchGetResponse(BaseModel):
    publish_id: str
    customers: list[Customer] = Field(description="The customers found, in the order asked.")
    not_found: list[str] = Field(description="The customer_ids that match no profiled person.")


class Segment(BaseModel):
    segment_type: SegmentType
    segment_name: str
    description: str | None
    definition: str | None
    size: int = Field(description="Members in this build.")


class SegmentList(BaseModel):
    publish_id: str
    as_of_date: date | None
    segments: list[Segment]


class Member(BaseModel):
    person_id: str
    primary_customer_id: str | None
    reason: str | None
    assigned_at: UtcDatetime | None


class MemberPage(BaseModel):
    publish_id: str
    segment_type: SegmentType
    segment_name: str
    members: list[Member]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class Change(BaseModel):
    person_id: str
    primary_customer_id: str | None
    transition: Literal["entered", "exited"]
    transition_at: UtcDatetime
    is_initial_load: bool | None = Field(
        description="True for the entries of the very first membership snapshot."
    )
    reason: str | None


class ChangePage(BaseModel):
    publish_id: str
    segment_type: SegmentType
    segment_name: str
    since: UtcDatetime
    changes: list[Change]
    next_cursor: str | None


class Health(BaseModel):
    status: Literal["ok"]
    publish_id: str
    build_started_at: UtcDatetime | None
    published_at: UtcDatetime | None = Field(
        description="As recorded by the publish (bi_publish.published_at)."
    )
    age_seconds: float = Field(description="Seconds since the BI file was written (its modification time).")
    as_of_date: date | None
    snapshot_loaded_in_seconds: float
    last_load_error: str | None = Field(
        description="Why a newer BI file could not be loaded (the API keeps answering from this publish)."
    )
