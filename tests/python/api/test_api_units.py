"""Units of the scoring API without a server or a dbt build: key storage and checking, and the
snapshot's guards (external access off, one publish, a broken file keeps the previous one)."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import duckdb
import pytest

from audience.api.keys import KeyRing, create_key, hash_key, list_keys, revoke_key
from audience.api.snapshot import BiReader, NotPublished

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from api_bi_file import build  # noqa: E402


def wait_for(condition, seconds: float = 60) -> None:
    """Poll until `condition()` holds (a new file loads in the background)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def small_bi(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bi") / "audience_bi.duckdb"
    build(path, 200, publish_id="publish-one")
    return path


def test_keys_are_stored_hashed_and_checked(tmp_path):
    path = tmp_path / "keys.json"
    key, record = create_key(path, "crm", ["pii"])
    text = path.read_text()
    assert key not in text and hash_key(key) in text
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    ring = KeyRing(path)
    assert ring.authenticate(key).scopes == ("pii",)
    for wrong in (None, "", key[:-1] + ("A" if key[-1] != "A" else "B"), key + "x", key.upper()):
        assert ring.authenticate(wrong) is None
    revoke_key(path, record.key_id)
    assert ring.authenticate(key) is None  # the ring reads the changed file
    assert list_keys(path)[0].revoked_at is not None
    with pytest.raises(ValueError, match="unknown scope"):
        create_key(path, "x", ["admin"])
    with pytest.raises(KeyError):
        revoke_key(path, "ffffffff")


def test_snapshot_cannot_read_files(small_bi):
    snap = BiReader(small_bi).current()
    assert snap.publish_id == "publish-one"
    with pytest.raises(duckdb.Error):
        snap.rows("select * from read_csv(?)", [str(small_bi)])
    with pytest.raises(duckdb.Error):
        snap.rows("set enable_external_access = true")
    with pytest.raises(duckdb.Error):
        snap.rows(f"attach '{small_bi}' as again")


def test_reader_switches_to_a_new_publish_and_survives_a_broken_one(small_bi, tmp_path):
    path = tmp_path / "audience_bi.duckdb"
    shutil.copy(small_bi, path)
    reader = BiReader(path)
    first = reader.current()
    build(tmp_path / "next.duckdb", 150, publish_id="publish-two")
    os.replace(tmp_path / "next.duckdb", path)
    wait_for(lambda: reader.current().publish_id == "publish-two")
    assert first.rows("select count(*) as n from people")[0]["n"] == 200  # the old one still whole
    (tmp_path / "broken.duckdb").write_bytes(b"not a database")
    os.replace(tmp_path / "broken.duckdb", path)
    wait_for(lambda: reader.current() is not None and reader.last_error is not None)
    assert reader.current().publish_id == "publish-two"
    with pytest.raises(NotPublished):
        BiReader(tmp_path / "missing.duckdb").current()


def test_api_key_cli_create_list_revoke(tmp_path):
    import subprocess

    keys = tmp_path / "keys.json"

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "audience.cli", "api-key", "--keys", str(keys), *args],
            capture_output=True,
            text=True,
        )

    created = cli("create", "--name", "salesforce", "--scope", "pii")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    record = KeyRing(keys).authenticate(key)
    assert record is not None and record.name == "salesforce" and record.scopes == ("pii",)
    assert key not in cli("list").stdout and record.key_id in cli("list").stdout
    assert cli("create", "--name", "x", "--scope", "admin").returncode == 2
    assert cli("revoke", record.key_id).returncode == 0
    assert KeyRing(keys).authenticate(key) is None
    assert cli("revoke", "00000000").returncode == 1
