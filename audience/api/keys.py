"""API keys of `audience serve`, stored hashed in a JSON file.

A key is `aud_<key_id>_<secret>`: `key_id` (8 hex characters) names the key in listings and
revocations, `secret` is 32 random bytes (URL-safe base64). The file keeps only the SHA-256 of
the whole key, so whoever reads the file cannot call the API; a key is shown once, when it is
created. The secret has 256 bits of entropy, so a fast hash is as strong as a slow one here.

Scopes: every key reads scores and segments; the scope `pii` adds the person's email and first
name (the email only where the person gave email consent, whatever the key).

The file (default `warehouse/api_keys.json`, `--keys` or $AUDIENCE_API_KEYS) is rewritten
atomically (temporary file + rename), and the server reads it again when it changes, so a
revoked key stops working at the next request without a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_KEYS_PATH = "warehouse/api_keys.json"
SCOPES = ("pii",)
KEY_PATTERN = re.compile(r"^aud_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")


def keys_path(explicit: str | os.PathLike | None = None) -> Path:
    """The key file: `explicit`, else $AUDIENCE_API_KEYS, else warehouse/api_keys.json."""
    return Path(explicit or os.environ.get("AUDIENCE_API_KEYS") or DEFAULT_KEYS_PATH)


def hash_key(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    scopes: tuple[str, ...]
    key_hash: str
    created_at: str
    revoked_at: str | None = None

    def to_json(self) -> dict:
        return {
            "key_id": self.key_id,
            "name": self.name,
            "scopes": list(self.scopes),
            "hash": self.key_hash,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
        }


def _read(path: Path) -> list[ApiKey]:
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [
            ApiKey(
                key_id=row["key_id"],
                name=row.get("name", ""),
                scopes=tuple(row.get("scopes", [])),
                key_hash=row["hash"],
                created_at=row["created_at"],
                revoked_at=row.get("revoked_at"),
            )
            for row in data["keys"]
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"API key file {path} is not a valid key file: {exc}") from exc


def _write(path: Path, keys: list[ApiKey]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"keys": [k.to_json() for k in keys]}, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def create_key(path: Path, name: str, scopes: list[str]) -> tuple[str, ApiKey]:
    """Add a key to the file; return the key (shown once) and its stored record."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scope {', '.join(unknown)}; known scopes: {', '.join(SCOPES)}")
    keys = _read(path)
    taken = {k.key_id for k in keys}
    key_id = secrets.token_hex(4)
    while key_id in taken:
        key_id = secrets.token_hex(4)
    key = f"aud_{key_id}_{secrets.token_urlsafe(32)}"
    record = ApiKey(
        key_id=key_id,
        name=name,
        scopes=tuple(sorted(set(scopes))),
        key_hash=hash_key(key),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    _write(path, [*keys, record])
    return key, record


def revoke_key(path: Path, key_id: str) -> ApiKey:
    """Mark the key `key_id` revoked (kept in the file for the record)."""
    keys = _read(path)
    for i, k in enumerate(keys):
        if k.key_id == key_id:
            if k.revoked_at is None:
                keys[i] = ApiKey(
                    **{**k.__dict__, "revoked_at": datetime.now(UTC).isoformat(timespec="seconds")}
                )
                _write(path, keys)
            return keys[i]
    raise KeyError(f"no API key {key_id} in {path}")


def list_keys(path: Path) -> list[ApiKey]:
    return _read(path)


class KeyRing:
    """The keys the server accepts, read again from the file whenever the file changes."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._stamp: tuple | None = None
        self._by_id: dict[str, ApiKey] = {}

    def _refresh(self) -> None:
        try:
            st = self.path.stat()
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp:
            keys = _read(self.path) if stamp else []
            self._by_id = {k.key_id: k for k in keys}
            self._stamp = stamp

    def authenticate(self, key: str | None) -> ApiKey | None:
        """The active key record matching `key`, or None (unknown, malformed or revoked)."""
        if not key:
            return None
        match = KEY_PATTERN.match(key)
        if not match:
            return None
        self._refresh()
        record = self._by_id.get(match.group(1))
        if record is None or record.revoked_at is not None:
            return None
        if not hmac.compare_digest(record.key_hash, hash_key(key)):
            return None
        return record
