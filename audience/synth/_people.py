"""Customers: latent types, BTYD parameters, profile attributes and the CRM customers table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import params as P
from ._util import beta_mean, categorical, choice, date_text, prefixed_ids, take_text, ts_text

NO_DEATH = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Window:
    """The simulated observation window, in epoch seconds (UTC)."""

    start: int
    end: int  # last second of end_date
    end_date: dt.date

    @classmethod
    def build(cls, end_date: str, years: float) -> Window:
        """Window of ``years`` years (from midnight) that ends at the last second of ``end_date``."""
        day = dt.date.fromisoformat(end_date)
        end = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()) + P.DAY - 1
        start = (end + 1 - int(years * 365.25 * P.DAY)) // P.DAY * P.DAY  # midnight
        return cls(start=start, end=end, end_date=day)

    @property
    def days(self) -> float:
        """Window length in days."""
        return (self.end + 1 - self.start) / P.DAY


@dataclass(frozen=True)
class Ids:
    """Customer-id formatting shared by all chunks: primary, re-registered and unknown ids."""

    n_customers: int
    width: int

    @classmethod
    def build(cls, n_customers: int) -> Ids:
        """Zero-padded width big enough for all id ranges."""
        return cls(n_customers, max(8, len(str(4 * n_customers + 10))))

    def primary(self, idx: np.ndarray) -> pa.Array:
        """Primary customer ids ``C00000001`` … for 0-based person indices."""
        return prefixed_ids("C", np.asarray(idx) + 1, self.width)

    def second(self, idx: np.ndarray) -> pa.Array:
        """Id of the second account of a re-registered person."""
        return prefixed_ids("C", np.asarray(idx) + 1 + self.n_customers, self.width)

    def unknown(self, seq: np.ndarray) -> pa.Array:
        """Ids that exist in no customers file (orphan orders)."""
        return prefixed_ids("C", np.asarray(seq) + 1 + 2 * self.n_customers, self.width)

    def person(self, idx: np.ndarray) -> pa.Array:
        """True person ids (truth only)."""
        return prefixed_ids("H", np.asarray(idx) + 1, self.width)


@dataclass
class People:
    """Struct of arrays, one element per primary customer (= true person) of a chunk."""

    idx: np.ndarray  # global 0-based person index
    type: np.ndarray
    signup: np.ndarray
    lam: np.ndarray  # purchases per day
    p: np.ndarray  # dropout probability after each purchase
    death: np.ndarray  # epoch s, NO_DEATH while alive at end
    aov: np.ndarray  # mean order value (EUR)
    disc_prob: np.ndarray
    disc_frac: np.ndarray
    web_rate: np.ndarray  # browse sessions per day while alive
    open_p: np.ndarray
    click_p: np.ndarray
    email_consent: np.ndarray
    n_dev: np.ndarray
    rereg: np.ndarray  # registers a second account (mess)
    rereg_at: np.ndarray
    gender: np.ndarray
    first: np.ndarray
    last: np.ndarray
    birth_day: np.ndarray  # days since epoch
    country: np.ndarray
    city: np.ndarray
    income: np.ndarray
    phone: np.ndarray
    domain: np.ndarray
    updated: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.idx)


def type_param(types: np.ndarray, name: str) -> np.ndarray:
    """Per-customer array of one LatentType attribute."""
    return np.array([getattr(t, name) for t in P.TYPES], dtype=float)[types]


def draw_people(rng: np.random.Generator, idx: np.ndarray, win: Window, mess_rate: float) -> People:
    """Draw latent type, timing, BTYD/Gamma-Gamma parameters and profile of each person."""
    n = len(idx)
    W = win.days
    t = choice(rng, n, [ty.share for ty in P.TYPES]).astype(np.int8)
    tp = lambda name: type_param(t, name)  # noqa: E731

    lo = np.maximum(tp("age_lo_days"), tp("age_lo_frac") * W)
    hi = np.minimum(W, np.maximum(tp("age_hi_days"), tp("age_hi_frac") * W))
    lo = np.where(lo >= hi, 0.5 * hi, lo)
    age = lo + rng.random(n) * (hi - lo)  # days before end
    signup = (win.end - age * P.DAY).astype(np.int64)

    lam = rng.gamma(tp("lambda_shape"), tp("orders_per_month") / tp("lambda_shape")) / P.MONTH_DAYS
    a = np.array([ty.dropout_beta[0] for ty in P.TYPES])[t]
    b = np.array([ty.dropout_beta[1] for ty in P.TYPES])[t]
    p = rng.beta(a, b)

    # Lapsed: forced death between signup + 45 days and 180 days before end.
    death = np.full(n, NO_DEATH, dtype=np.int64)
    lapsed = t == P.LAPSED
    dead_age = P.LAPSED_MIN_DEAD_DAYS + rng.random(n) * np.maximum(1.0, age - 45 - P.LAPSED_MIN_DEAD_DAYS)
    dead_age = np.minimum(dead_age, 0.6 * age)
    death[lapsed] = (win.end - dead_age[lapsed] * P.DAY).astype(np.int64)

    aov = rng.gamma(tp("aov_shape_between"), tp("aov_mean") / tp("aov_shape_between"))
    disc_prob = beta_mean(rng, tp("discount_prob"), 12.0)
    disc_frac = beta_mean(rng, tp("discount_frac"), 30.0)
    web_rate = rng.gamma(8.0, tp("sessions_per_month") / 8.0) / P.MONTH_DAYS
    open_p = beta_mean(rng, tp("email_open_p"), 15.0)
    click_p = beta_mean(rng, tp("email_click_p"), 10.0)
    email_consent = rng.random(n) < tp("email_consent_p")
    n_dev = (1 + rng.binomial(2, 0.3, n)).astype(np.int8)

    rereg = (rng.random(n) < mess_rate) & (age > 45)
    rereg_at = np.where(
        rereg, signup + ((30 + rng.random(n) * (age - 37)) * P.DAY).astype(np.int64), NO_DEATH
    )

    profile = _profile(rng, t, win)
    life = np.maximum(0, win.end - signup - 3600)
    updated = signup + 3600 + (rng.random(n) * life).astype(np.int64)
    return People(
        idx=np.asarray(idx, dtype=np.int64),
        type=t,
        signup=signup,
        lam=lam,
        p=p,
        death=death,
        aov=aov,
        disc_prob=disc_prob,
        disc_frac=disc_frac,
        web_rate=web_rate,
        open_p=open_p,
        click_p=click_p,
        email_consent=email_consent,
        n_dev=n_dev,
        rereg=rereg,
        rereg_at=rereg_at,
        **profile,
        updated=np.minimum(updated, win.end),
    )


def _profile(rng: np.random.Generator, t: np.ndarray, win: Window) -> dict[str, np.ndarray]:
    """Gender, name, birth day, place, income band, phone and email domain of each person."""
    n = len(t)
    gender = choice(rng, n, P.GENDER_P).astype(np.int8)
    nf, nm = len(P.FIRST_NAMES_F), len(P.FIRST_NAMES_M)
    u = rng.random(n)
    first = np.where(
        gender == 0,
        (u * nf).astype(int),
        np.where(gender == 1, nf + (u * nm).astype(int), (u * (nf + nm)).astype(int)),
    )
    last = rng.integers(0, len(P.LAST_NAMES), n)
    age_lo = np.array([ty.age_years[0] for ty in P.TYPES])[t]
    age_hi = np.array([ty.age_years[1] for ty in P.TYPES])[t]
    years_old = age_lo + rng.random(n) * (age_hi - age_lo)
    end_day = win.end // P.DAY
    birth_day = (end_day - years_old * 365.25).astype(np.int64)
    country = choice(rng, n, [c[3] for c in P.COUNTRIES]).astype(np.int8)
    city = rng.integers(0, P.CITIES_PER_COUNTRY, n).astype(np.int8)
    income = categorical(rng, np.array([ty.income_probs for ty in P.TYPES])[t]).astype(np.int8)
    phone = rng.integers(1_000_000, 99_999_999, n)
    domain = rng.integers(0, len(P.EMAIL_DOMAINS), n).astype(np.int8)
    return {
        "gender": gender,
        "first": first,
        "last": last,
        "birth_day": birth_day,
        "country": country,
        "city": city,
        "income": income,
        "phone": phone,
        "domain": domain,
    }


_FIRST_NAMES = P.FIRST_NAMES_F + P.FIRST_NAMES_M
_CITY_TABLE = [rc for c in P.COUNTRIES for rc in c[4]]


def clean_emails(pp: People) -> pa.Array:
    """Lower-case unique email address of every person: ``first.last<n>@domain``."""
    return pc.binary_join_element_wise(
        take_text(_FIRST_NAMES, pp.first),
        pa.scalar("."),
        take_text(P.LAST_NAMES, pp.last),
        prefixed_ids("", pp.idx + 1),
        pa.scalar("@"),
        take_text(P.EMAIL_DOMAINS, pp.domain),
        "",
    )


def phones(country: np.ndarray, number: np.ndarray) -> pa.Array:
    """International phone numbers ``+49 151 2345678``."""
    cc = take_text([c[2] for c in P.COUNTRIES], country)
    num = prefixed_ids("", number)
    area = pc.utf8_slice_codeunits(num, 0, 3)
    rest = pc.utf8_slice_codeunits(num, 3, 12)
    return pc.binary_join_element_wise(pa.scalar("+"), cc, pa.scalar(" 1"), area, pa.scalar(" "), rest, "")


def customers_columns(pp: People, ids: Ids, emails: pa.Array) -> dict[str, pa.Array]:
    """The CRM customers table of the chunk as text columns, in contract order (no mess)."""
    city_idx = pp.country.astype(np.int64) * P.CITIES_PER_COUNTRY + pp.city
    return {
        "customer_id": ids.primary(pp.idx),
        "email": emails,
        "first_name": pc.utf8_capitalize(take_text(_FIRST_NAMES, pp.first)),
        "last_name": pc.utf8_capitalize(take_text(P.LAST_NAMES, pp.last)),
        "phone": phones(pp.country, pp.phone),
        "gender": take_text(P.GENDERS, pp.gender),
        "birth_date": date_text(pp.birth_day),
        "country": take_text([c[0] for c in P.COUNTRIES], pp.country),
        "region": take_text([rc[0] for rc in _CITY_TABLE], city_idx),
        "city": take_text([rc[1] for rc in _CITY_TABLE], city_idx),
        "income_band": take_text(P.INCOME_BANDS, pp.income),
        "signup_at": ts_text(pp.signup),
        "updated_at": ts_text(pp.updated),
    }


def other_city(rng: np.random.Generator, pp: People, rows: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """A different region/city in the same country (an older address) for the given rows."""
    shift = rng.integers(1, P.CITIES_PER_COUNTRY, len(rows))
    city = (pp.city[rows] + shift) % P.CITIES_PER_COUNTRY
    idx = pp.country[rows].astype(np.int64) * P.CITIES_PER_COUNTRY + city
    return take_text([rc[0] for rc in _CITY_TABLE], idx), take_text([rc[1] for rc in _CITY_TABLE], idx)
