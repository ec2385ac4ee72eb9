"""What the report shows: the section ids and one plain dataclass per section.

:mod:`audience.segment_report.queries` fills these from the warehouse,
:mod:`audience.segment_report.sections` renders them; neither knows about the other.
A section whose tables are missing or empty carries a ``notes`` entry instead of data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from audience.charts import BoxStats

# (id, heading) of every section, in the order the report shows them. Tests rely on the ids.
SECTIONS = (
    ("overview", "Overview"),
    ("data-quality", "Data quality"),
    ("k-selection", "Choosing the number of segments (k)"),
    ("segment-sizes", "Segment sizes and revenue share"),
    ("personas", "Persona heatmap"),
    ("scores", "CLV and churn by segment"),
    ("validation", "Model validation"),
    ("monitoring", "Model monitoring"),
    ("transitions", "Segment transitions over time"),
)

MAX_RUNS = 60  # snapshot runs shown in the transitions chart (the most recent ones)


@dataclass
class DataQuality:
    reconciliation: list[dict[str, Any]] = field(default_factory=list)
    top_reasons: list[dict[str, Any]] = field(default_factory=list)
    file_status: list[dict[str, Any]] = field(default_factory=list)
    problem_files: list[dict[str, Any]] = field(default_factory=list)
    left_out: list[dict[str, Any]] = field(default_factory=list)  # dq_feature_coverage, uninformative
    inactive_rules: list[dict[str, Any]] = field(default_factory=list)  # rule_segment_members_status
    notes: list[str] = field(default_factory=list)


@dataclass
class KSelection:
    rows: list[dict[str, Any]] = field(default_factory=list)
    chosen_k: int | None = None
    knee_k: int | None = None
    model_version: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class SegmentSize:
    cluster_id: int
    label: str
    size: int
    share: float
    revenue: float
    revenue_share: float


@dataclass
class Segments:
    rows: list[SegmentSize] = field(default_factory=list)
    total_people: int = 0
    total_revenue: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass
class Personas:
    labels: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    z: list[list[float]] = field(default_factory=list)
    means: list[list[float]] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)
    constant_features: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Scores:
    clv: list[tuple[str, BoxStats]] = field(default_factory=list)
    churn: list[tuple[str, BoxStats]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Validation:
    cluster: list[dict[str, Any]] = field(default_factory=list)
    clv_calibration: list[dict[str, Any]] = field(default_factory=list)
    churn_models: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Monitoring:
    # cluster_model_history, oldest fit first
    versions: list[dict[str, Any]] = field(default_factory=list)
    current_version: str | None = None
    # cluster_id_matches of the latest fit (highest fit_sequence)
    latest_version: str | None = None
    matches: list[dict[str, Any]] = field(default_factory=list)
    # cluster_drift: the psi rows (one per feature) and the mean_squared_distance_ratio row
    psi: list[dict[str, Any]] = field(default_factory=list)
    distance: dict[str, Any] | None = None
    # any cluster_drift figure above its threshold; None when cluster_drift is not available
    refit_due: bool | None = None
    # per segment: the most common top_feature_1 of customer_clusters and its share of the members
    top_features: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Transitions:
    run_times: list[dt.datetime] = field(default_factory=list)
    # segment_type -> segment_name -> members at each run in run_times
    members: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)
    total_runs: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class ReportData:
    db_path: str
    generated_at: dt.datetime
    overview: dict[str, Any]
    data_quality: DataQuality
    k_selection: KSelection
    segments: Segments
    personas: Personas
    scores: Scores
    validation: Validation
    monitoring: Monitoring
    transitions: Transitions
