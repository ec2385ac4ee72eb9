"""Bounded load test of the scoring API on loopback (README, "Scoring API for a CRM").

Starts `audience serve` on 127.0.0.1 and a free port over a BI file, then for each scenario and
each `--concurrency` (client threads, 1 and 4 by default) runs the clients with keep-alive
connections until `--duration` seconds have passed or `--requests` requests were sent, whichever
comes first, and stops the server. Scenarios:

  single  GET /v1/customers/{customer_id}, a random customer_id of the file each time
  batch   POST /v1/customers:batchGet with `--batch-size` random customer_ids

Reports per scenario: requests, throughput (requests/s), p50/p99/max latency in ms, errors (any
answer but 200, or a failed connection) and the server's peak RSS. With `--customers N` it first
writes a synthetic BI file of N customers (benchmarks/api_bi_file.py) under --data-dir; with
`--bi PATH` it serves that file, e.g. the warehouse/audience_bi.duckdb of a real `make build`.

    .venv/bin/python benchmarks/api_load.py --customers 1000000 --duration 30
    .venv/bin/python benchmarks/api_load.py --bi warehouse/audience_bi.duckdb
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Server:
    def __init__(self, bi: Path, keys: Path, log: Path, startup_timeout: float):
        self.port = free_port()
        self.log = open(log, "w")  # noqa: SIM115 - closed in stop()
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
            str(bi),
            "--keys",
            str(keys),
        ]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)
        self.peak_rss = 0
        start = time.monotonic()
        while True:  # /health loads the first snapshot
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=startup_timeout)
                conn.request("GET", "/health")
                response = conn.getresponse()
                self.health = json.loads(response.read())
                if response.status == 200:
                    break
                raise RuntimeError(f"/health answered {response.status}: {self.health}")
            except OSError:
                if self.proc.poll() is not None or time.monotonic() - start > startup_timeout:
                    self.stop()
                    raise RuntimeError("server did not start: " + log.read_text()[-2000:]) from None
                time.sleep(0.2)
        self.startup_s = time.monotonic() - start
        self._sampling = True
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while self._sampling:
            self.peak_rss = max(self.peak_rss, rss_bytes(self.proc.pid))
            time.sleep(0.1)

    def stop(self) -> None:
        self._sampling = False
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def run_scenario(
    port: int,
    key: str,
    ids: list[str],
    kind: str,
    batch_size: int,
    concurrency: int,
    duration: float,
    max_requests: int,
    seed: int,
) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    sent = 0
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def worker(n: int) -> None:
        nonlocal sent
        rng = random.Random(seed + n)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"X-API-Key": key, "Content-Type": "application/json"}
        while time.monotonic() < deadline:
            with lock:
                if sent >= max_requests:
                    return
                sent += 1
            if kind == "single":
                method, path, body = "GET", f"/v1/customers/{rng.choice(ids)}", None
            else:
                method, path = "POST", "/v1/customers:batchGet"
                body = json.dumps({"customer_ids": rng.sample(ids, batch_size)})
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    if response.status != 200:
                        errors.append(str(response.status))
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    start = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    ms = sorted(x * 1000 for x in latencies)

    def pct(p: float) -> float:
        return ms[min(len(ms) - 1, int(p * len(ms)))] if ms else float("nan")

    return {
        "scenario": kind if kind == "single" else f"batch of {batch_size}",
        "requests": len(ms),
        "seconds": round(wall, 1),
        "throughput_rps": round(len(ms) / wall, 1) if wall else 0.0,
        "p50_ms": round(pct(0.50), 2),
        "p99_ms": round(pct(0.99), 2),
        "max_ms": round(ms[-1], 2) if ms else float("nan"),
        "mean_ms": round(statistics.fmean(ms), 2) if ms else float("nan"),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--bi", type=Path, help="serve this BI file")
    source.add_argument("--customers", type=int, help="write a synthetic BI file of this many customers")
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "audience_api_load")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per scenario (upper bound)")
    parser.add_argument("--requests", type=int, default=20000, help="requests per scenario (upper bound)")
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=[1, 4],
        help="client threads (each scenario runs with each)",
    )
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--scenarios", nargs="+", choices=("single", "batch"), default=["single", "batch"])
    parser.add_argument("--startup-timeout", type=float, default=600.0)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    from api_bi_file import build

    from audience.api.keys import create_key

    args.data_dir.mkdir(parents=True, exist_ok=True)
    bi = args.bi
    if bi is None:
        bi = args.data_dir / f"api_bi_{args.customers}.duckdb"
        if not bi.exists():
            start = time.perf_counter()
            build(bi, args.customers)
            print(f"wrote synthetic BI file {bi} in {time.perf_counter() - start:.1f}s", flush=True)
    con = duckdb.connect(str(bi), read_only=True)
    ids = [
        r[0] for r in con.execute("select customer_id from customer_ids using sample 20000 rows").fetchall()
    ]
    n_customers = con.execute("select count(*) from customer_profiles").fetchone()[0]
    con.close()

    keys = args.data_dir / "api_load_keys.json"
    keys.unlink(missing_ok=True)
    key, _ = create_key(keys, "load-test", [])
    server = Server(bi, keys, args.data_dir / "api_load_server.log", args.startup_timeout)
    results = []
    try:
        print(
            f"server up in {server.startup_s:.1f}s (snapshot of {n_customers:,} customers loaded in "
            f"{server.health['snapshot_loaded_in_seconds']}s), RSS {server.peak_rss / 2**20:,.0f} MiB",
            flush=True,
        )
        for kind in args.scenarios:
            for concurrency in args.concurrency:
                result = run_scenario(
                    server.port,
                    key,
                    ids,
                    kind,
                    args.batch_size,
                    concurrency,
                    args.duration,
                    args.requests,
                    seed=7,
                )
                result["customers"] = n_customers
                result["clients"] = concurrency
                result["server_peak_rss_mib"] = round(server.peak_rss / 2**20)
                results.append(result)
                print(json.dumps(result), flush=True)
    finally:
        server.stop()
    print()
    header = "customers | scenario | clients | requests | req/s | p50 ms | p99 ms | max ms | errors | RSS MiB"
    print(f"| {header} |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(
            f"| {r['customers']:,} | {r['scenario']} | {r['clients']} | {r['requests']:,} "
            f"| {r['throughput_rps']:,} "
            f"| {r['p50_ms']} | {r['p99_ms']} | {r['max_ms']} | {r['errors']} "
            f"| {r['server_peak_rss_mib']:,} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
