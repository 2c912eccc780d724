"""Browser fixtures: uvicorn serving a fresh demo database in a subprocess, and headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from palpa.ops import seed_demo

ROOT = Path(__file__).resolve().parents[2]
APP_FACTORY = "tests.browser.server_app:make_app"
SHOTS = Path(os.environ.get("PALPA_SCREENSHOT_DIR", ROOT / "test-artifacts" / "screenshots"))


@dataclass(frozen=True)
class Server:
    """A running server, the demo clinician's credentials, its database and the demo clinic's short name."""

    url: str
    email: str
    password: str
    database_url: str
    clinic_slug: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """uvicorn on a free port over a fresh SQLite database seeded with the demo clinic."""
    db_url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'palpa.db'}"
    demo = seed_demo(db_url)
    assert demo.password is not None
    port = _free_port()
    log = (tmp_path_factory.getbasetemp() / "uvicorn.log").open("wb")
    env = os.environ | {"PALPA_DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", APP_FACTORY,
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/sign-in", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start; see {log.name}")
            time.sleep(0.2)
        yield Server(url, demo.email, demo.password, db_url, demo.clinic_slug)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, through Playwright (skipped with the reason when it is absent)."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); the browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def shots() -> Path:
    """Where screenshots go (PALPA_SCREENSHOT_DIR, else test-artifacts/screenshots/)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
