"""The database goes away under a real gunicorn and comes back: 503 pages (never a login redirect or a 500),
/readyz 503, /healthz 200, and service again without a restart."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import flask_migrate
import pytest

import config
from dashboard import create_app
from dashboard.auth.services import create_user
from dashboard.extensions import db
from tests import factories
from tests.postgres_server import PostgresServer

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """Cookies kept, redirects not followed: each answer is seen as the server gave it."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), self._NoRedirect)

    def get(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


@pytest.fixture
def gunicorn_on_postgres(tmp_path):
    server = PostgresServer()
    url = server.start()
    app = create_app(config.TestingConfig(url))
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        create_user(db.session, "alice@example.com", factories.PASSWORD)
        db.session.commit()
        db.engine.dispose()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "development", "SECRET_KEY": "outage-test-" + "k" * 32,
           "DATABASE_WAIT_SECONDS": "5"}
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--timeout", "30", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "gunicorn.log").open("w"))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.2)
    try:
        yield server, Browser(base)
    finally:
        process.terminate()
        process.wait(20)
        server.stop()


def test_a_killed_database_gives_503_and_service_resumes(gunicorn_on_postgres):
    server, browser = gunicorn_on_postgres
    _, page = browser.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    status, _ = browser.get("/login", {"email": "alice@example.com", "password": factories.PASSWORD,
                                       "csrf_token": token})
    assert status == 302
    assert browser.get("/")[0] == 200

    server.kill()
    for path in ("/", "/transactions", "/reports/"):
        status, page = browser.get(path)
        assert status == 503, (path, status)
        assert "Service unavailable" in page and "Traceback" not in page
    status, body = browser.get("/readyz")
    assert status == 503 and "database unavailable" in body and "pgtest" not in body and "5432" not in body
    assert browser.get("/healthz")[0] == 200

    server.resume()
    status, page = browser.get("/")
    assert status == 200 and "Your accounts" in page
    assert browser.get("/readyz")[0] == 200


def test_a_database_restarted_between_requests_costs_no_error_page(gunicorn_on_postgres):
    """The worker's pooled connection died with the old server: it is checked before use (pool_pre_ping), so the
    first page after a quiet restart is served, not a 503."""
    server, browser = gunicorn_on_postgres
    _, page = browser.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert browser.get("/login", {"email": "alice@example.com", "password": factories.PASSWORD,
                                  "csrf_token": token})[0] == 302
    assert browser.get("/")[0] == 200
    server.kill()
    server.resume()
    status, page = browser.get("/")
    assert status == 200 and "Your accounts" in page
