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

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

#: Usual column names for each feature role, in order of preference.
DEFAULT_ROLE_ALIASES: dict[str, tuple[str, ...]] = {
    "recency": ("recency_days", "days_since_last_order", "days_since_last_purchase", "recency"),
    "frequency": ("frequency", "order_count", "orders", "n_orders", "orders_count", "orders_365d"),
    "monetary": ("monetary", "avg_order_value", "aov", "average_order_value"),
    "revenue": ("revenue", "total_revenue", "net_revenue", "lifetime_revenue", "revenue_365d"),
    "tenure": ("tenure_days", "customer_age_days", "days_since_first_order", "tenure"),
    "discount": ("discount_share", "discount_rate", "discounted_order_share"),
    "sessions": ("sessions_90d", "sessions", "web_sessions_90d", "session_count"),
    "email": ("email_open_rate", "open_rate", "email_engagement"),
}

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

#: Symbols printed before amounts for common ISO 4217 codes; other codes print as "CHF 12".
CURRENCY_SYMBOLS: dict[str, str] = {
    "USD": "$",
    "GBP": "£",
    "EUR": "€",
    "JPY": "¥",
    "CNY": "¥",
    "INR": "₹",
    "KRW": "₩",
    "ILS": "₪",
    "NGN": "₦",
    "TRY": "₺",
    "VND": "₫",
    "PHP": "₱",
    "UAH": "₴",
}


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


# --------------------------------------------------------------------------------------------
# Roles and levels
# --------------------------------------------------------------------------------------------


def resolve_roles(columns: Sequence[str], roles: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """Map each feature role to a profile column.

    ``roles`` overrides the defaults: ``{"frequency": "n_purchases"}`` sets a column,
    ``{"email": None}`` switches a role off. Other roles take the first of their
    :data:`DEFAULT_ROLE_ALIASES` present in ``columns``. Roles whose column is absent are left
    out. Unknown role names in ``roles`` are kept (they appear in descriptions only if known).
    """
    available = set(columns)
    overrides = dict(roles or {})
    out: dict[str, str] = {}
    for role, aliases in DEFAULT_ROLE_ALIASES.items():
        if role in overrides:
            col = overrides[role]
            if col is not None and col in available:
                out[role] = col
            continue
        for alias in aliases:
            if alias in available:
                out[role] = alias
                break
    for role, col in overrides.items():
        if role not in DEFAULT_ROLE_ALIASES and col is not None and col in available:
            out[role] = col
    return out


def _labels_array(profile_df: pd.DataFrame, labels: npt.ArrayLike | str) -> pd.Series:
    """Labels as a Series aligned positionally with ``profile_df`` (nulls allowed)."""
    if isinstance(labels, str):
        values = profile_df[labels].to_numpy()
    else:
        values = labels.to_numpy() if isinstance(labels, pd.Series) else np.asarray(labels)
    if len(values) != len(profile_df):
        raise ValueError(f"{len(values)} labels for {len(profile_df)} profile rows")
    return pd.Series(values, index=profile_df.index, name="cluster_id")


def _labeled_rows(profile_df: pd.DataFrame, labels: npt.ArrayLike | str) -> tuple[pd.DataFrame, pd.Series]:
    """The rows with a label, and their labels (as int64 when every label is a whole number)."""
    lab = _labels_array(profile_df, labels)
    keep = lab.notna().to_numpy()
    df, lab = profile_df.loc[keep], lab[keep]
    numeric = pd.to_numeric(lab, errors="coerce")
    if len(lab) and numeric.notna().all() and (numeric % 1 == 0).all():
        lab = numeric.astype("int64")
    return df, lab.rename("cluster_id")


def _numeric(profile_df: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_numeric(profile_df[col], errors="coerce").astype("float64")


def _levels(values: pd.Series, labels: pd.Series) -> pd.Series:
    """Mean population percentile rank of each cluster's members (0.5 = typical)."""
    ranks = values.rank(method="average")
    n = values.notna().sum()
    pct = (ranks - 0.5) / n if n else ranks
    return pct.groupby(labels, sort=True).mean()


# --------------------------------------------------------------------------------------------
# Naming
# --------------------------------------------------------------------------------------------


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

    # Step 3: qualifiers for the remaining look-alikes.
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
            devs = sorted(roles, key=lambda r: (-abs(level_of[c][r] - means[r]), r))
            chosen = None
            for r in devs:
                dev = level_of[c][r] - means[r]
                if abs(dev) < MIN_QUALIFIER_GAP:
                    break
                adjective = QUALIFIERS[r][0 if dev > 0 else 1]
                candidate = f"{adjective} {base[0].lower()}{base[1:]}"
                if candidate not in taken:
                    chosen = candidate
                    break
            final[c] = chosen if chosen is not None else base
            if chosen is not None:
                taken.add(chosen)

    # Step 4: numbers as the last resort.
    seen: dict[str, int] = {}
    for c in sorted(clusters, key=lambda c: (-(sizes or {}).get(c, 0), c)):
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


# --------------------------------------------------------------------------------------------
# Descriptions
# --------------------------------------------------------------------------------------------


def currency_label(codes: Sequence[str | None]) -> tuple[str, str]:
    """How descriptions print money for the orders' currencies: ``(prefix, note)``.

    One currency: its symbol (:data:`CURRENCY_SYMBOLS`, e.g. ``"£"``) or its ISO code and a
    space (``"CHF "``), no note. Several currencies: no prefix, and a note naming them (amounts
    of different currencies are not one figure, so no single symbol may be printed). No known
    currency (no orders, or no code on any order): no prefix, no note.
    """
    clean = sorted({str(c).strip().upper() for c in codes if c is not None and str(c).strip()})
    if len(clean) == 1:
        code = clean[0]
        return CURRENCY_SYMBOLS.get(code, f"{code} "), ""
    if len(clean) > 1:
        return "", f"amounts mix currencies ({', '.join(clean)})"
    return "", ""


def _num(x: float) -> str:
    """Compact number: 1,234 / 152 / 14 / 2.3."""
    if not math.isfinite(x):
        return "n/a"
    ax = abs(x)
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:.0f}"
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _duration(days: float) -> str:
    if days >= 365:
        return f"{_num(days / 365.25)} years"
    if days >= 60:
        return f"{_num(days / 30.44)} months"
    return f"{_num(days)} days"


def _rate(x: float) -> str:
    """A share stored as 0..1 or as 0..100, as a percentage."""
    pct = x * 100 if abs(x) <= 1 else x
    return f"{pct:.0f}%"


def _ratio(r: float) -> str:
    """A multiple of the average: 3x / 2.5x / 0.4x / 0.04x / 12x."""
    if r == 0:
        return "0x"
    if abs(r) >= 10:
        return f"{r:.0f}x"
    s = f"{r:.1f}" if abs(r) >= 0.095 else f"{r:.2f}"
    return (s[:-2] if s.endswith(".0") else s) + "x"


def describe_cluster(
    means: Mapping[str, float],
    pop_means: Mapping[str, float],
    levels: Mapping[str, float],
    roles: Mapping[str, str],
    currency: str = "$",
    fallback: Sequence[tuple[str, float, float]] = (),
    currency_note: str = "",
) -> str:
    """One-line description from the role columns' cluster means.

    Only the roles in ``roles`` are spoken about (a role whose column is absent, or was left
    out as uninformative, never appears). Amounts are printed with the ``currency`` prefix;
    ``currency_note`` (e.g. mixed currencies, :func:`currency_label`) is appended in brackets.

    Frequency, average order and recency always appear when available; tenure, discount share,
    sessions and email opens appear when the cluster differs from the population on them (at
    most two, strongest first); the revenue comparison closes the line. Without any role the
    description lists the most distinctive ``fallback`` features ``(name, mean, ratio)``.
    """
    parts: list[str] = []

    def mean(role: str) -> float | None:
        col = roles.get(role)
        if col is None or col not in means or not math.isfinite(means[col]):
            return None
        return float(means[col])

    freq = mean("frequency")
    if freq is not None:
        parts.append("Ordered once" if round(freq, 1) == 1.0 else f"Ordered {_num(freq)} times")
    aov = mean("monetary")
    if aov is not None:
        parts.append(f"avg order {currency}{_num(aov)}")
    rec = mean("recency")
    if rec is not None:
        parts.append(f"last order {_num(rec)} days ago")

    extras: list[tuple[float, str]] = []
    ten = mean("tenure")
    if ten is not None:
        extras.append((abs(levels.get("tenure", 0.5) - 0.5), f"customer for {_duration(ten)}"))
    disc = mean("discount")
    if disc is not None:
        extras.append((abs(levels.get("discount", 0.5) - 0.5), f"{_rate(disc)} discount share"))
    ses = mean("sessions")
    if ses is not None:
        window = " in 90 days" if "90" in roles["sessions"] else ""
        extras.append((abs(levels.get("sessions", 0.5) - 0.5), f"{_num(ses)} sessions{window}"))
    opn = mean("email")
    if opn is not None:
        extras.append((abs(levels.get("email", 0.5) - 0.5), f"opens {_rate(opn)} of emails"))
    extras.sort(key=lambda e: -e[0])
    min_strength = 0.1 if parts else 0.0  # without the core measures, show the extras anyway
    parts.extend(text for strength, text in extras[:2] if strength >= min_strength)

    if not parts:
        parts = [f"{name} {_num(m)} ({_ratio(r)} average)" for name, m, r in fallback if math.isfinite(r)]
        parts = parts or ["Close to the population average"]
    if parts:
        parts[0] = parts[0][0].upper() + parts[0][1:]
    line = ", ".join(parts)

    rev = mean("revenue")
    pop_rev = pop_means.get(roles["revenue"]) if "revenue" in roles else None
    if rev is not None and pop_rev is not None and math.isfinite(pop_rev) and pop_rev > 0:
        ratio = rev / pop_rev
        if ratio >= 1.5 or ratio <= 0.67:
            line += f"; {_ratio(ratio)} the average revenue"
        else:
            line += "; about average revenue"
    if currency_note:
        line += f" ({currency_note})"
    return line + "."


# --------------------------------------------------------------------------------------------
# Persona tables
# --------------------------------------------------------------------------------------------


def _described_columns(
    profile_df: pd.DataFrame, features: Sequence[str], role_map: Mapping[str, str]
) -> list[str]:
    cols = list(dict.fromkeys(features))
    missing = [f for f in cols if f not in profile_df.columns]
    if missing:
        raise KeyError(f"feature columns not in the profile: {missing}")
    cols += [c for c in role_map.values() if c not in cols]
    return cols


def persona_features(
    profile_df: pd.DataFrame,
    labels: npt.ArrayLike | str,
    features: Sequence[str],
    roles: Mapping[str, str | None] | None = None,
) -> pd.DataFrame:
    """Per cluster and feature: how the cluster differs from the population (long form).

    Covers ``features`` plus any role column found in the profile. Columns: ``cluster_id``,
    ``feature``, ``role`` (or null), ``cluster_mean``, ``population_mean``, ``z_diff``
    (``(cluster_mean - population_mean) / population_std``, population std with ``ddof=0``,
    0 for a constant feature), ``ratio`` (``cluster_mean / population_mean``, null when the
    population mean is 0) and ``level`` (mean population percentile rank of the members,
    0.5 = typical). Rows with a null label are left out; nulls in a feature are ignored.
    """
    df, lab = _labeled_rows(profile_df, labels)
    role_map = resolve_roles(list(df.columns), roles)
    role_of = {col: role for role, col in role_map.items()}
    rows = []
    for col in _described_columns(df, features, role_map):
        values = _numeric(df, col)
        pop_mean = float(values.mean())
        pop_std = float(values.std(ddof=0))
        cl_mean = values.groupby(lab, sort=True).mean()
        lvl = _levels(values, lab)
        for cid in cl_mean.index:
            m = float(cl_mean[cid])
            z = (m - pop_mean) / pop_std if pop_std > 0 and math.isfinite(pop_std) else 0.0
            ratio = m / pop_mean if pop_mean != 0 and math.isfinite(pop_mean) else float("nan")
            rows.append((cid, col, role_of.get(col), m, pop_mean, z, ratio, float(lvl.get(cid, np.nan))))
    out = pd.DataFrame(
        rows,
        columns=[
            "cluster_id",
            "feature",
            "role",
            "cluster_mean",
            "population_mean",
            "z_diff",
            "ratio",
            "level",
        ],
    )
    return out.sort_values(["cluster_id", "feature"], kind="stable", ignore_index=True)


def _top_categories(
    categories: pd.Series, labels: pd.Series, clusters: Sequence[object], top: int
) -> pd.DataFrame:
    rows = {}
    frame = pd.DataFrame({"cat": categories, "cluster_id": labels}).dropna()
    frame["cat"] = frame["cat"].astype(str)
    for cid in clusters:
        counts = frame.loc[frame["cluster_id"] == cid, "cat"].value_counts()
        total = int(counts.sum())
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        row: dict[str, object] = {}
        for i in range(top):
            if i < len(ranked):
                row[f"top_category_{i + 1}"] = ranked[i][0]
                row[f"top_category_{i + 1}_share"] = ranked[i][1] / total
            else:
                row[f"top_category_{i + 1}"] = None
                row[f"top_category_{i + 1}_share"] = float("nan")
        row["top_categories"] = ", ".join(f"{c} {n / total:.0%}" for c, n in ranked) if ranked else None
        rows[cid] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def build_personas(
    profile_df: pd.DataFrame,
    labels: npt.ArrayLike | str,
    features: Sequence[str],
    categories_col: str | None = None,
    revenue_col: str | None = None,
    roles: Mapping[str, str | None] | None = None,
    currency: str = "$",
    top_categories: int = 3,
    currency_note: str = "",
) -> pd.DataFrame:
    """One row per cluster: size, shares, profile, top categories, name and description.

    Args:
        profile_df: one row per person with the feature columns (and optional role, category
            and revenue columns).
        labels: cluster id per profile row (positional, same length), or the name of a label
            column of ``profile_df``. Rows with a null label are left out.
        features: the clustering features; each gets ``mean_<feature>`` and ``z_<feature>``
            columns (see :func:`persona_features` for the definitions).
        categories_col: column with each person's favourite category; adds
            ``top_category_1..n``, ``top_category_<i>_share`` (share of the cluster's people
            with a known category) and a readable ``top_categories`` string.
        revenue_col: revenue per person for ``revenue_share``; defaults to the ``revenue`` role
            column. Also used as the revenue role when none is set. Nulls count as 0. Without
            any revenue column ``revenue_share`` is null.
        roles: feature-role mapping overriding :data:`DEFAULT_ROLE_ALIASES`
            (``{"frequency": "n_purchases", "email": None}``).
        currency: prefix of amounts in descriptions (:func:`currency_label`).
        top_categories: how many categories to list.
        currency_note: appended to every description, e.g. that amounts mix currencies.

    Returns:
        Columns ``cluster_id, persona_name, description, size, share, revenue_share``, the
        category columns when ``categories_col`` is given, then ``mean_<f>`` and ``z_<f>`` per
        feature; sorted by ``cluster_id``. ``share`` sums to 1, and so does ``revenue_share``
        when total revenue is positive.
    """
    df, lab = _labeled_rows(profile_df, labels)
    role_overrides = dict(roles or {})
    if revenue_col is not None and "revenue" not in role_overrides:
        role_overrides["revenue"] = revenue_col
    role_map = resolve_roles(list(df.columns), role_overrides)
    long = persona_features(df, lab.to_numpy(), features, role_overrides)

    sizes = lab.value_counts().sort_index()
    clusters = list(sizes.index)
    total = int(sizes.sum())
    out = pd.DataFrame({"cluster_id": clusters, "size": sizes.to_numpy(dtype=np.int64)})
    out["share"] = out["size"] / total if total else np.nan

    rev_col = revenue_col if revenue_col is not None else role_map.get("revenue")
    if rev_col is not None:
        rev = _numeric(df, rev_col).fillna(0.0)
        by_cluster = rev.groupby(lab, sort=True).sum()
        rev_total = float(rev.sum())
        out["revenue_share"] = [
            float(by_cluster.get(c, 0.0)) / rev_total if rev_total > 0 else np.nan for c in clusters
        ]
    else:
        out["revenue_share"] = np.nan

    # Names and descriptions from the role levels.
    role_of_col = {col: role for role, col in role_map.items()}
    lv = long[long["feature"].isin(role_of_col)].assign(role=lambda d: d["feature"].map(role_of_col))
    levels = lv.pivot_table(index="cluster_id", columns="role", values="level", aggfunc="first")
    levels = levels.reindex(clusters)
    names = name_clusters(levels, dict(zip(clusters, out["size"].tolist(), strict=True)))
    descriptions = []
    for cid in clusters:
        sub = long[long["cluster_id"] == cid]
        means = dict(zip(sub["feature"], sub["cluster_mean"], strict=True))
        pops = dict(zip(sub["feature"], sub["population_mean"], strict=True))
        cl_levels = (
            {r: float(v) for r, v in levels.loc[cid].items() if pd.notna(v)} if len(levels.columns) else {}
        )
        feats = (
            sub[sub["feature"].isin(features)]
            .assign(a=lambda d: d["z_diff"].abs())
            .sort_values(["a", "feature"], ascending=[False, True])
        )
        fallback = [
            (str(r.feature), float(r.cluster_mean), float(r.ratio)) for r in feats.head(3).itertuples()
        ]
        descriptions.append(
            describe_cluster(means, pops, cl_levels, role_map, currency, fallback, currency_note)
        )
    out.insert(1, "persona_name", [names[c] for c in clusters])
    out.insert(2, "description", descriptions)

    if categories_col is not None:
        cats = _top_categories(df[categories_col], lab, clusters, top_categories)
        cat_cols = ["top_categories"] + [
            c for i in range(1, top_categories + 1) for c in (f"top_category_{i}", f"top_category_{i}_share")
        ]
        out = pd.concat([out, cats.reindex(clusters)[cat_cols].reset_index(drop=True)], axis=1)

    for f in dict.fromkeys(features):
        sub = long[long["feature"] == f].set_index("cluster_id")
        out[f"mean_{f}"] = sub["cluster_mean"].reindex(clusters).to_numpy()
        out[f"z_{f}"] = sub["z_diff"].reindex(clusters).to_numpy()
    return out.sort_values("cluster_id", ignore_index=True)
