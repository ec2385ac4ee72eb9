"""Turn cluster labels into readable personas: sizes, profiles, names and descriptions.

Pure functions over pandas. Given the profile (one row per person), the cluster label of every
row and the feature columns, :func:`build_personas` returns one row per cluster with its size,
share of people and of revenue, per-feature means and differences from the population, top
favourite categories, and an automatic ``persona_name`` and one-line ``description``;
:func:`persona_features` returns the per-feature comparison in long form.

Naming works over **feature roles** - well-known behavioural measures such as recency,
order frequency or average order value. Each role is looked up among the profile columns by a
list of usual names (:data:`DEFAULT_ROLE_ALIASES`), or set explicitly with the ``roles``
argument; roles that are not found are skipped, so naming degrades gracefully on a
transactions-only profile.

For every cluster and role the *level* is the mean population percentile rank of the cluster's
members (0.5 = the population's typical person, near 1 = top of the population). Levels are
scale-free and robust to the heavy tails of spend data. Each archetype
(:data:`ARCHETYPES`) scores a cluster from the levels of its roles; the best-scoring archetype
names the cluster, and names are made unique within the run (see :func:`build_personas`).
"""

from audience.personas.descriptions import CURRENCY_SYMBOLS, currency_label, describe_cluster
from audience.personas.naming import (
    ALTERNATIVE_RATIO,
    ARCHETYPES,
    FALLBACK_NAME,
    MIN_ARCHETYPE_SCORE,
    MIN_QUALIFIER_GAP,
    QUALIFIERS,
    Archetype,
    Term,
    archetype_scores,
    name_clusters,
)
from audience.personas.roles import DEFAULT_ROLE_ALIASES, resolve_roles
from audience.personas.tables import build_personas, persona_features

__all__ = [
    "ALTERNATIVE_RATIO",
    "ARCHETYPES",
    "CURRENCY_SYMBOLS",
    "DEFAULT_ROLE_ALIASES",
    "FALLBACK_NAME",
    "MIN_ARCHETYPE_SCORE",
    "MIN_QUALIFIER_GAP",
    "QUALIFIERS",
    "Archetype",
    "Term",
    "archetype_scores",
    "build_personas",
    "currency_label",
    "describe_cluster",
    "name_clusters",
    "persona_features",
    "resolve_roles",
]
