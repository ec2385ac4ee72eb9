"""Fixtures of the scoring API tests: one small warehouse built with dbt, API keys, and the real
server (`audience serve`) started as a subprocess on 127.0.0.1 and a free port."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from audience.api.keys import create_key

from ..conftest import DbtRun, generate, run_dbt_ok

API_CUSTOMERS = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Reply:
    status: int
    body: dict
    headers: dict


class ApiServer:
    """`audience serve` in a subprocess; `call` sends one HTTP request and parses the JSON reply."""

    def __init__(self, bi_path: Path, keys_path: Path, log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        cmd = [
            sys.executable,
            "-m",
            "audience.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--bi",
            str(bi_path),
            "--keys",
            str(keys_path),
        ]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=log_path.parent)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/openapi.json", timeout=2).read()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        "audience serve did not start: " + log_path.read_text()[-3000:]
                    ) from None
                time.sleep(0.2)

    def call(
        self,
        method: str,
        path: str,
        key: str | None = None,
        body=None,
        raw: bytes | None = None,
        headers: dict | None = None,
    ) -> Reply:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if key is not None:
            request.add_header("X-API-Key", key)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Reply(response.status, json.loads(response.read()), lower(response.headers))
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, json.loads(exc.read()), lower(exc.headers))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def lower(headers) -> dict:
    return {name.lower(): value for name, value in headers.items()}


def bi_file(run: DbtRun) -> Path:
    return run.db_path.with_name(run.db_path.stem + "_bi.duckdb")


def bi_rows(path: Path, sql: str, params: list | None = None) -> list[dict]:
    """Rows of the BI file, read the way a BI tool would: the truth the API is checked against."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


@pytest.fixture(scope="session")
def api_build(tmp_path_factory) -> DbtRun:
    """A few hundred generated customers, built and published once with `dbt build`."""
    work = tmp_path_factory.mktemp("api_build")
    raw = work / "raw"
    generate(raw, n_customers=API_CUSTOMERS, seed=5)
    run = run_dbt_ok("dbt build for the API tests", ["build"], raw, work / "audience.duckdb", work)
    assert bi_file(run).exists(), "the build published no BI file"
    return run


@pytest.fixture(scope="session")
def api_keys(tmp_path_factory) -> dict:
    """A key file with a pii key, a key without scopes, and a revoked one."""
    path = tmp_path_factory.mktemp("api_keys") / "api_keys.json"
    pii, _ = create_key(path, "crm", ["pii"])
    plain, _ = create_key(path, "bi", [])
    return {"path": path, "pii": pii, "plain": plain}


@pytest.fixture(scope="session")
def api_server(api_build, api_keys, tmp_path_factory):
    server = ApiServer(bi_file(api_build), api_keys["path"], tmp_path_factory.mktemp("api_log") / "serve.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def api_bi(api_build) -> Path:
    return bi_file(api_build)
