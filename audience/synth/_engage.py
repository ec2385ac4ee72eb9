"""Consent log, weekly email campaigns and survey responses."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from . import params as P
from ._people import NO_DEATH, People, Window, type_param
from ._util import categorical, grouped_cumsum, owner_index, prefixed_ids, rank_in_group, take_text, ts_array

CHANNELS = ("email", "sms", "ads", "all")
STATUSES = ("granted", "revoked", "opt_in", "opt_out", "true", "false")
SOURCES = ("signup_form", "preference_center", "cookie_banner", "email_unsubscribe", "gdpr_request")
EMAIL_EVENT_TYPES = ("sent", "bounce", "open", "click", "unsubscribe")
_HOUR = 3600


def campaign_schedule(win: Window) -> tuple[np.ndarray, list[str]]:
    """Weekly newsletter send times (Tuesdays 10:00 UTC) and campaign ids; index 0 is the welcome mail."""
    first_day = win.start // P.DAY
    first_day += (1 - (first_day + 3) % 7) % 7  # epoch day 0 was a Thursday: move to a Tuesday
    ts = np.arange(first_day * P.DAY + 10 * _HOUR, win.end, 7 * P.DAY, dtype=np.int64)
    days = ts // P.DAY
    names = ["WELCOME"] + [f"NL-{str(d)}" for d in days.astype("datetime64[D]")]
    return ts, names


class ConsentLog:
    """Accumulates consent events as parallel arrays."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(
        self, owner: np.ndarray, acct2: bool, channel: int, status: int, source: int, ts: np.ndarray
    ) -> None:
        """Add one event per owner."""
        k = len(owner)
        self.parts.append(
            (
                owner,
                np.full(k, acct2),
                np.full(k, channel, np.int8),
                np.full(k, status, np.int8),
                np.full(k, source, np.int8),
                ts,
            )
        )

    def arrays(self) -> tuple[np.ndarray, ...]:
        """Concatenated columns sorted by time."""
        cols = [np.concatenate([p[i] for p in self.parts]) for i in range(6)]
        order = np.argsort(cols[5], kind="stable")
        return tuple(c[order] for c in cols)


def _between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return lo + (rng.random(len(lo)) * np.maximum(0, hi - lo)).astype(np.int64)


def draw_consent_and_email(
    rng: np.random.Generator,
    pp: People,
    win: Window,
    campaigns: np.ndarray,
) -> tuple[ConsentLog, dict[str, np.ndarray]]:
    """Consent events and the email event log (sent/bounce/open/click/unsubscribe) of a chunk."""
    n = len(pp)
    log = ConsentLog()
    consent, email_start, email_stop = _consent_log(rng, pp, win, log)
    owner, ts, camp = _sends(rng, pp, campaigns, consent, email_start, email_stop)

    k = len(owner)
    alive = ts < pp.death[owner]
    bounce = rng.random(k) < P.BOUNCE_P
    open_ts = ts + 60 + rng.exponential(6 * _HOUR, k).astype(np.int64)
    opened = (
        ~bounce & (rng.random(k) < np.where(alive, pp.open_p[owner], P.DEAD_OPEN_P)) & (open_ts <= win.end)
    )
    click_ts = open_ts + 20 + rng.exponential(300, k).astype(np.int64)
    click = opened & (rng.random(k) < pp.click_p[owner] * np.where(alive, 1.0, 0.3)) & (click_ts <= win.end)
    unsub_ts = open_ts + 20 + rng.exponential(120, k).astype(np.int64)
    unsub = (
        opened & (rng.random(k) < np.where(alive, P.ALIVE_UNSUB_P, P.DEAD_UNSUB_P)) & (unsub_ts <= win.end)
    )
    # nothing is sent after an unsubscribe
    cnt = np.bincount(owner, minlength=n)
    keep = (grouped_cumsum(unsub.astype(np.int64), cnt) - unsub) == 0
    owner, ts, camp = owner[keep], ts[keep], camp[keep]
    bounce, opened, click, unsub = bounce[keep], opened[keep], click[keep], unsub[keep]
    open_ts, click_ts, unsub_ts = open_ts[keep], click_ts[keep], unsub_ts[keep]
    log.add(owner[unsub], False, 0, 1, 3, unsub_ts[unsub])

    send = np.arange(len(owner))
    rows = [
        (send, 0, ts),
        (send[bounce], 1, ts[bounce] + 60),
        (send[opened], 2, open_ts[opened]),
        (send[click], 3, click_ts[click]),
        (send[unsub], 4, unsub_ts[unsub]),
    ]
    r_send = np.concatenate([r[0] for r in rows])
    r_type = np.concatenate([np.full(len(r[0]), r[1], np.int8) for r in rows])
    r_ts = np.concatenate([r[2] for r in rows])
    order = np.lexsort((r_type, r_ts))
    r_send, r_type, r_ts = r_send[order], r_type[order], r_ts[order]
    events = {"owner": owner[r_send], "campaign": camp[r_send], "etype": r_type, "ts": r_ts}
    pp.extra["email_sent"] = np.bincount(owner, minlength=n)
    pp.extra["email_opened"] = np.bincount(owner[opened], minlength=n)
    return log, events


def _consent_log(
    rng: np.random.Generator, pp: People, win: Window, log: ConsentLog
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Add every consent event of the chunk to ``log``; return who consented to email at signup
    and when each person's email consent starts and stops."""
    n = len(pp)
    everyone = np.arange(n)
    end = np.full(n, win.end, dtype=np.int64)
    consent = pp.email_consent
    log.add(everyone[consent], False, 0, 0, 0, pp.signup[consent])
    sms = rng.random(n) < 0.35
    log.add(everyone[sms], False, 1, 0, 0, pp.signup[sms])
    ads = rng.random(n) < 0.60
    log.add(everyone[ads], False, 2, 4, 2, pp.signup[ads])
    late = ~consent & (rng.random(n) < 0.3)
    late_ts = _between(rng, pp.signup, end)
    log.add(everyone[late], False, 0, 2, 1, late_ts[late])
    email_start = np.where(consent, pp.signup, np.where(late, late_ts, NO_DEATH))
    revoke = (consent | late) & (rng.random(n) < 0.04)
    revoke_ts = _between(rng, np.minimum(email_start, win.end), end)
    log.add(everyone[revoke], False, 0, 3, 1, revoke_ts[revoke])
    sms_rev = sms & (rng.random(n) < 0.10)
    log.add(everyone[sms_rev], False, 1, 3, 1, _between(rng, pp.signup, end)[sms_rev])
    ads_rev = ads & (rng.random(n) < 0.12)
    log.add(everyone[ads_rev], False, 2, 5, 2, _between(rng, pp.signup, end)[ads_rev])
    gdpr = rng.random(n) < 0.003
    gdpr_ts = _between(rng, pp.signup, end)
    log.add(everyone[gdpr], False, 3, 1, 4, gdpr_ts[gdpr])
    rereg = pp.rereg
    log.add(everyone[rereg], True, 0, 0, 0, pp.rereg_at[rereg])
    email_stop = np.minimum(end, np.where(revoke, revoke_ts, NO_DEATH))
    email_stop = np.minimum(email_stop, np.where(gdpr, gdpr_ts, NO_DEATH))
    return consent, email_start, email_stop


def _sends(
    rng: np.random.Generator,
    pp: People,
    campaigns: np.ndarray,
    consent: np.ndarray,
    email_start: np.ndarray,
    email_stop: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Owner, time and campaign (0 = welcome) of every email sent, by owner then time."""
    everyone = np.arange(len(pp))
    # Sends: the welcome mail, then weekly newsletters to a random part of the consenting base.
    lo = np.searchsorted(campaigns, email_start, side="right")
    hi = np.searchsorted(campaigns, email_stop, side="left")
    m = np.where(email_start < email_stop, np.maximum(0, hi - lo), 0)
    o = owner_index(m)
    j = lo[o] + rank_in_group(m)
    pick = rng.random(len(o)) < type_param(pp.type[o], "email_target_p")
    o, j = o[pick], j[pick]
    welcome = consent & (pp.signup + 300 < email_stop)
    w = everyone[welcome]
    owner = np.concatenate([w, o])
    ts = np.concatenate([pp.signup[w] + 300, campaigns[j]])
    camp = np.concatenate([np.zeros(len(w), np.int64), j + 1])
    order = np.lexsort((ts, owner))
    owner, ts, camp = owner[order], ts[order], camp[order]
    return owner, ts, camp


def consent_table(log: ConsentLog, acct_ids: pa.Array, n: int, first_seq: int) -> pa.Table:
    """The consent_events table; ``acct_ids`` holds the n primary ids followed by the n second ids."""
    owner, acct2, channel, status, source, ts = log.arrays()
    return pa.table(
        {
            "consent_event_id": prefixed_ids("CE", first_seq + np.arange(len(owner))),
            "customer_id": acct_ids.take(pa.array(owner + n * acct2)),
            "channel": take_text(CHANNELS, channel),
            "status": take_text(STATUSES, status),
            "event_at": ts_array(ts),
            "source": take_text(SOURCES, source),
        }
    )


def email_table(
    ev: dict[str, np.ndarray], acct_ids: pa.Array, emails: pa.Array, names: list[str], first_seq: int
) -> pa.Table:
    """The email_events table."""
    owner = pa.array(ev["owner"])
    return pa.table(
        {
            "email_event_id": prefixed_ids("M", first_seq + np.arange(len(ev["owner"]))),
            "customer_id": acct_ids.take(owner),
            "email": emails.take(owner),
            "campaign_id": take_text(names, ev["campaign"]),
            "event_type": take_text(EMAIL_EVENT_TYPES, ev["etype"]),
            "event_at": ts_array(ev["ts"]),
        }
    )


def survey_table(
    rng: np.random.Generator, pp: People, win: Window, acct_ids: pa.Array, emails: pa.Array, first_seq: int
) -> pa.Table:
    """Survey responses of about 10% of customers, scores driven by the latent type."""
    n = len(pp)
    who = np.flatnonzero(rng.random(n) < P.SURVEY_P)
    k = len(who)
    lo = pp.signup[who] + P.DAY
    hi = np.minimum(win.end, np.where(pp.death[who] == NO_DEATH, win.end, pp.death[who] + 14 * P.DAY))
    hi = np.maximum(hi, np.minimum(lo, win.end))
    at = np.minimum(_between(rng, lo, hi), win.end)
    order = np.argsort(at, kind="stable")
    who, at = who[order], at[order]
    t = pp.type[who]
    nps = np.clip(np.round(rng.normal(type_param(t, "nps_mean"), 1.5)), 0, 10).astype(np.int64)
    sat = np.clip(np.round(1 + 0.4 * nps + rng.normal(0, 0.6, k)), 1, 5).astype(np.int64)
    pref = categorical(rng, np.array([ty.preferred_channel_probs for ty in P.TYPES])[t])
    band = np.where(nps <= 6, 0, np.where(nps <= 8, 1, 2))
    pool = P.COMMENTS["detractor"] + P.COMMENTS["passive"] + P.COMMENTS["promoter"]
    size = len(P.COMMENTS["detractor"])
    comment = band * size + rng.integers(0, size, k)
    email_only = rng.random(k) < P.SURVEY_EMAIL_ONLY_P
    ids = acct_ids.take(pa.array(who, mask=email_only))
    return pa.table(
        {
            "response_id": prefixed_ids("R", first_seq + np.arange(k)),
            "customer_id": ids,
            "email": emails.take(pa.array(who)),
            "submitted_at": ts_array(at),
            "nps_score": pa.array(nps),
            "satisfaction_score": pa.array(sat),
            "preferred_channel": take_text(P.PREFERRED_CHANNELS, pref, null_mask=pref == 3),
            "comment": take_text(pool, comment, null_mask=rng.random(k) >= 0.4),
        }
    )
