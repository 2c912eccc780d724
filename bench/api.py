"""Benchmark the JSON API under load: wrk against uvicorn (httptools, uvloop) on SQLite and PostgreSQL.

Usage: python bench/api.py [--seconds 5] [--connections 32] [--postgres URL]
PostgreSQL runs when --postgres or PALPA_TEST_POSTGRES_URL is given (in a schema of its own, dropped after).
For each database: a fresh migrated database with one clinic, clinician and patient; one uvicorn worker
serving `bench/api_app.py`; a bearer token from POST /api/sign-in; then wrk at the given connections on
  POST /bench/echo            (the same contract case body, parsed and echoed: the floor)
  POST /api/assess            (a contract case -> assessment)
  GET  /api/patients/{id}     (a clinic-scoped read, audited: one committed audit row per request)
Prints requests/s, p50/p99 latency, errors (HTTP status >= 400, socket errors) and each endpoint's
requests/s as a ratio to the echo endpoint in the same run (goal >= 0.5). Prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import text

from palpa.store import UnitOfWork, make_engine, make_session_factory, upgrade
from palpa.store.db import normalize_url
from palpa.web.security import hash_password

BENCH = Path(__file__).resolve().parent
CASE = BENCH.parent / "examples" / "cases" / "flynn_positive.json"
EMAIL, PASSWORD = "bench@clinic.test", "bench password not secret"
GOAL = 0.5

# wrk reports its own summary through this script: one JSON line, latencies in microseconds.
WRK_SCRIPT = """
wrk.method = os.getenv("BENCH_METHOD")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["Content-Type"] = "application/json"
local path = os.getenv("BENCH_BODY")
if path ~= nil and path ~= "" then
  local f = io.open(path, "rb"); wrk.body = f:read("*a"); f:close()
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "status_errors": %d, ' ..
    '"socket_errors": %d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Result:
    """One endpoint's figures from one wrk run."""

    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    status_errors: int
    socket_errors: int


@contextmanager
def sqlite_database() -> Iterator[str]:
    """A fresh SQLite database file in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="palpa-bench-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'palpa.db'}"


@contextmanager
def postgres_database(url: str) -> Iterator[str]:
    """A fresh schema on the PostgreSQL server at `url`, dropped afterwards."""
    schema = f"palpa_bench_{secrets.token_hex(4)}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            scoped = normalize_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
            yield scoped.render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    finally:
        admin.dispose()


def seed(url: str) -> int:
    """Migrate the database and add a clinic, its clinician and one patient; the patient's id."""
    upgrade(url)
    engine = make_engine(url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            clinic = uow.clinics.add("Bench Clinic")
            uow.users.add(clinic.id, EMAIL, hash_password(PASSWORD), "clinician")
            patient = uow.patients.add(clinic.id, "Bench Patient", dt.date(1980, 1, 2))
            uow.commit()
            return patient.id
    finally:
        engine.dispose()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(url: str) -> Iterator[str]:
    """uvicorn (one worker, httptools, uvloop) serving the bench app on `url`'s database; its base URL."""
    port = free_port()
    env = {**os.environ, "PALPA_DATABASE_URL": url}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "api_app:create_bench_app", "--app-dir", str(BENCH),
           "--host", "127.0.0.1", "--port", str(port), "--http", "httptools", "--loop", "uvloop",
           "--no-access-log", "--log-level", "warning"]
    # uvicorn logs to a file shown only if it fails: wrk drops connections mid-request when it stops (noise)
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    raise SystemExit(f"uvicorn exited with status {proc.returncode}:\n{log.read()[-2000:]}")
                try:
                    if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("uvicorn did not start within 60 s")
                time.sleep(0.2)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def sign_in(base: str) -> str:
    """A bearer token for the bench clinician."""
    r = httpx.post(f"{base}/api/sign-in", json={"email": EMAIL, "password": PASSWORD}, timeout=10)
    r.raise_for_status()
    return str(r.json()["api_token"])


def wrk(name: str, url: str, method: str, token: str, body: Path | None, seconds: int,
        connections: int, threads: int, script: Path) -> Result:
    """Run wrk on one endpoint and read its JSON summary."""
    env = {**os.environ, "BENCH_METHOD": method, "BENCH_TOKEN": token, "BENCH_BODY": str(body or "")}
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "-s", str(script), url]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed on {name}: {done.stderr.strip() or done.stdout.strip()}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    return Result(name, summary["requests"] / (summary["duration_us"] / 1e6), summary["p50_us"] / 1000,
                  summary["p99_us"] / 1000, summary["status_errors"], summary["socket_errors"])


def check_once(base: str, token: str, patient_id: int) -> None:
    """Each endpoint answers 200 once before the load, so that the figures measure working requests."""
    h = {"Authorization": f"Bearer {token}"}
    for r in (httpx.post(f"{base}/bench/echo", content=CASE.read_bytes(), timeout=10),
              httpx.post(f"{base}/api/assess", content=CASE.read_bytes(), headers=h, timeout=10),
              httpx.get(f"{base}/api/patients/{patient_id}", headers=h, timeout=10)):
        if r.status_code != 200:
            raise SystemExit(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:200]}")


def run_backend(label: str, url: str, args: argparse.Namespace, script: Path) -> list[Result]:
    """All three endpoints against one database, echo first."""
    patient_id = seed(url)
    with server(url) as base:
        token = sign_in(base)
        check_once(base, token, patient_id)
        targets = [("POST /bench/echo", f"{base}/bench/echo", "POST", CASE),
                   ("POST /api/assess", f"{base}/api/assess", "POST", CASE),
                   ("GET /api/patients/{id}", f"{base}/api/patients/{patient_id}", "GET", None)]
        results = []
        for name, target, method, body in targets:
            wrk(name, target, method, token, body, 1, args.connections, args.threads, script)  # warm-up
            results.append(wrk(name, target, method, token, body, args.seconds, args.connections,
                               args.threads, script))
    print(f"\n{label}: {args.connections} connections, {args.seconds} s each, 1 uvicorn worker")
    print(f"{'endpoint':<24}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'>=400':>7}{'socket':>8}{'/echo':>8}")
    echo = results[0].rps
    for r in results:
        ratio = r.rps / echo if echo else 0.0
        mark = "" if r is results[0] else ("  ok" if ratio >= GOAL else f"  below {GOAL}")
        print(f"{r.name:<24}{r.rps:>9.0f}{r.p50_ms:>9.1f}{r.p99_ms:>9.1f}{r.status_errors:>7}"
              f"{r.socket_errors:>8}{ratio:>8.2f}{mark}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5, help="load time per endpoint (default 5)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--postgres", default=os.environ.get("PALPA_TEST_POSTGRES_URL"),
                        help="PostgreSQL server URL (default PALPA_TEST_POSTGRES_URL); else SQLite only")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench/api.py needs wrk (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="palpa-wrk-") as tmp:
        script = Path(tmp) / "bench.lua"
        script.write_text(WRK_SCRIPT)
        print(f"cores: {os.cpu_count()}; case: {CASE.name}; server and wrk share this machine")
        with sqlite_database() as url:
            run_backend("SQLite", url, args, script)
        if args.postgres:
            with postgres_database(args.postgres) as url:
                run_backend("PostgreSQL", url, args, script)
        else:
            print("\nPostgreSQL: skipped (give --postgres URL or set PALPA_TEST_POSTGRES_URL)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
