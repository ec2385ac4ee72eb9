"""Persona names: archetypes scored from role levels, made unique within a run."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Qualifier adjectives per role, for a cluster above (``high``) or below (``low``) its look-alikes.
QUALIFIERS: dict[str, tuple[str, str]] = {
    "recency": ("Lapsed", "Recent"),
    "frequency": ("Frequent", "Infrequent"),
    "monetary": ("Big-basket", "Small-basket"),
    "revenue": ("High-spend", "Low-spend"),
    "tenure": ("Long-standing", "Newer"),
    "discount": ("Discount-driven", "Full-price"),
    "sessions": ("Web-active", "Web-quiet"),
    "email": ("Email-engaged", "Email-inactive"),
}

#: Name given to a cluster that no archetype fits (close to the population on every role).
FALLBACK_NAME = "Mainstream shoppers"


@dataclass(frozen=True)
class Term:
    """One condition of an archetype: ``role`` is high (``sign=+1``) or low (``sign=-1``).

    ``role`` may be the pseudo-role ``"value"``: the higher of the revenue and average order
    value levels (a big spender spends a lot in total or per order), whichever are available.
    A ``required`` term must be available for the archetype to apply.
    """

    role: str
    sign: int
    required: bool = True


@dataclass(frozen=True)
class Archetype:
    """A named behavioural pattern, scored from role levels.

    ``speaks_of`` names roles the wording implies beyond its terms ("visitors" implies web
    sessions); when one of them is not available in the data, the archetype is called
    ``plain_name`` instead, so no name cites a source the data does not have.
    """

    name: str
    terms: tuple[Term, ...]
    speaks_of: tuple[str, ...] = ()
    plain_name: str | None = None

    def name_for(self, available: Mapping[str, float]) -> str:
        """The name to use when the roles in ``available`` are known."""
        if self.plain_name and any(r not in available for r in self.speaks_of):
            return self.plain_name
        return self.name


#: Archetypes in priority order (earlier wins exact score ties).
ARCHETYPES: tuple[Archetype, ...] = (
    Archetype(
        "High-value loyalists",
        (Term("frequency", 1), Term("value", 1), Term("recency", -1), Term("tenure", 1, False)),
    ),
    Archetype("Lapsed big spenders", (Term("value", 1), Term("recency", 1), Term("monetary", 1, False))),
    Archetype("At-risk regulars", (Term("frequency", 1), Term("recency", 1))),
    Archetype("Deal hunters", (Term("discount", 1), Term("monetary", -1, False))),
    Archetype(
        "New visitors",
        (Term("tenure", -1), Term("frequency", -1, False)),
        speaks_of=("sessions",),
        plain_name="New customers",
    ),
    Archetype(
        "Engaged browsers", (Term("sessions", 1), Term("frequency", -1, False), Term("email", 1, False))
    ),
    Archetype("Email enthusiasts", (Term("email", 1), Term("frequency", -1, False))),
    Archetype(
        "Big-basket shoppers", (Term("monetary", 1), Term("frequency", -1, False), Term("recency", -1, False))
    ),
    Archetype(
        "Steady regulars", (Term("frequency", 1), Term("recency", -1, False), Term("monetary", -1, False))
    ),
    Archetype("Occasional shoppers", (Term("frequency", -1), Term("value", -1, False))),
)

#: A cluster whose best archetype scores below this gets :data:`FALLBACK_NAME`.
MIN_ARCHETYPE_SCORE = 0.2
#: A look-alike cluster moves to its next-best free archetype only if that scores at least
#: this fraction of its best score; otherwise it keeps the name with a qualifier.
ALTERNATIVE_RATIO = 0.8
#: Smallest level difference that justifies a qualifier (else a number is appended).
MIN_QUALIFIER_GAP = 0.02


def _term_levels(levels: Mapping[str, float]) -> dict[str, float]:
    """Role levels plus the ``value`` pseudo-role (the higher of revenue and order value)."""
    out = {r: v for r, v in levels.items() if v is not None and math.isfinite(v)}
    spend = [out[r] for r in ("revenue", "monetary") if r in out]
    if spend:
        out["value"] = max(spend)
    return out


def archetype_scores(levels: Mapping[str, float]) -> dict[str, float]:
    """Score every applicable archetype for one cluster's role levels.

    A term's strength is ``sign * 2 * (level - 0.5)`` in ``[-1, 1]``. The score is the average
    of the mean over all available terms and the minimum over required terms, so one strong
    trait cannot hide a contradicting required one. Archetypes with a missing required role are
    left out.
    """
    lv = _term_levels(levels)
    scores: dict[str, float] = {}
    for arch in ARCHETYPES:
        strengths, required = [], []
        missing = False
        for term in arch.terms:
            if term.role not in lv:
                if term.required:
                    missing = True
                    break
                continue
            s = term.sign * 2.0 * (lv[term.role] - 0.5)
            strengths.append(s)
            if term.required:
                required.append(s)
        if missing or not required:
            continue
        scores[arch.name_for(lv)] = 0.5 * float(np.mean(strengths)) + 0.5 * float(min(required))
    return scores


def _archetype_roles(name: str) -> set[str]:
    """Roles an archetype already speaks about (not usable as its qualifiers)."""
    for arch in ARCHETYPES:
        if name in (arch.name, arch.plain_name):
            roles = {t.role for t in arch.terms}
            if "value" in roles:
                roles.discard("value")
                roles.update({"revenue", "monetary"})
            return roles
    return set()


def name_clusters(levels: pd.DataFrame, sizes: Mapping[int, int] | None = None) -> dict[int, str]:
    """Unique persona names from a ``cluster x role`` table of levels.

    1. Each cluster takes its best-scoring archetype (:func:`archetype_scores`), or
       :data:`FALLBACK_NAME` below :data:`MIN_ARCHETYPE_SCORE`.
    2. When several clusters take the same name, the best fit keeps it; each other one moves to
       its best archetype not used by anyone if that scores at least :data:`ALTERNATIVE_RATIO`
       of its own best.
    3. Clusters still sharing a name all get a qualifier from the role on which each differs
       most from its look-alikes (e.g. "Recent deal hunters" / "Lapsed deal hunters"), using
       only roles the archetype does not already name.
    4. Only if that still leaves duplicates (look-alikes identical on every role) is a number
       appended ("Deal hunters 2").
    """
    clusters = list(levels.index)
    level_of = {c: {r: float(v) for r, v in levels.loc[c].items() if pd.notna(v)} for c in clusters}
    scores = {c: archetype_scores(level_of[c]) for c in clusters}
    order = {n: i for i, a in enumerate(ARCHETYPES) for n in (a.name, a.plain_name) if n}

    def best_of(c: int, exclude: set[str]) -> tuple[str, float] | None:
        cands = [(n, s) for n, s in scores[c].items() if n not in exclude and s >= MIN_ARCHETYPE_SCORE]
        if not cands:
            return None
        return max(cands, key=lambda ns: (ns[1], -order[ns[0]]))

    name: dict[int, str] = {}
    fit: dict[int, float] = {}
    for c in clusters:
        best = best_of(c, set())
        name[c], fit[c] = best if best is not None else (FALLBACK_NAME, 0.0)

    # Step 2: move weaker look-alikes to a free archetype that fits nearly as well.
    used = set(name.values())
    for base in order:
        members = sorted((c for c in clusters if name[c] == base), key=lambda c: (-fit[c], c))
        for c in members[1:]:
            alt = best_of(c, used)
            if alt is not None and alt[1] >= ALTERNATIVE_RATIO * fit[c]:
                name[c], fit[c] = alt
                used.add(alt[0])

    final = _qualify_lookalikes(clusters, name, level_of)
    return _number_duplicates(clusters, final, sizes or {})


def _qualify_lookalikes(
    clusters: list[int], name: Mapping[int, str], level_of: Mapping[int, Mapping[str, float]]
) -> dict[int, str]:
    """Step 3 of :func:`name_clusters`: a qualifier for every cluster that shares its name."""
    final = dict(name)
    taken = set()
    groups: dict[str, list[int]] = {}
    for c in clusters:
        groups.setdefault(name[c], []).append(c)
    for base, members in groups.items():
        if len(members) == 1:
            taken.add(base)
    for base, members in groups.items():
        if len(members) == 1:
            continue
        skip = _archetype_roles(base)
        roles = sorted({r for c in members for r in level_of[c]} - skip - {"value"})
        roles = [r for r in roles if r in QUALIFIERS and all(r in level_of[c] for c in members)]
        means = {r: float(np.mean([level_of[c][r] for c in members])) for r in roles}
        for c in sorted(members):
            chosen = _qualified_name(base, level_of[c], means, roles, taken)
            final[c] = chosen if chosen is not None else base
            if chosen is not None:
                taken.add(chosen)
    return final


def _qualified_name(
    base: str, levels: Mapping[str, float], means: Mapping[str, float], roles: list[str], taken: set[str]
) -> str | None:
    """``base`` with the adjective of the role on which the cluster differs most from its
    look-alikes (``means``), skipping names already ``taken``; None when no role differs by
    at least :data:`MIN_QUALIFIER_GAP`."""
    devs = sorted(roles, key=lambda r: (-abs(levels[r] - means[r]), r))
    for r in devs:
        dev = levels[r] - means[r]
        if abs(dev) < MIN_QUALIFIER_GAP:
            break
        adjective = QUALIFIERS[r][0 if dev > 0 else 1]
        candidate = f"{adjective} {base[0].lower()}{base[1:]}"
        if candidate not in taken:
            return candidate
    return None


def _number_duplicates(
    clusters: list[int], final: dict[int, str], sizes: Mapping[int, int]
) -> dict[int, str]:
    """Step 4 of :func:`name_clusters`: a number after names still shared, largest cluster first."""
    seen: dict[str, int] = {}
    for c in sorted(clusters, key=lambda c: (-sizes.get(c, 0), c)):
        n = final[c]
        if n in seen:
            seen[n] += 1
            candidate = f"{n} {seen[n]}"
            while candidate in final.values() or candidate in seen:
                seen[n] += 1
                candidate = f"{n} {seen[n]}"
            final[c] = candidate
            seen[candidate] = 1
        else:
            seen[n] = 1
    return final
