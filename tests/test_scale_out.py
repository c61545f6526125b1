"""Two app instances (separate gunicorn processes on two ports) on one database and one redis-server.

What a person behind a load balancer sees: signed in on one instance they keep working on the other, an import
on one shows on the other at once, the login limit counts attempts on both (REDIS_URL), and signing out on one
ends the session on the other, even for a copy of the cookie.
"""
from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager
from html import unescape
from pathlib import Path

import pytest
import requests

from tests import factories
from tests.redis_server import redis_url

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HIDDEN_INPUT = re.compile(r'<input[^>]*type="hidden"[^>]*>')
ATTRIBUTE = re.compile(r'(name|value)="([^"]*)"')


@pytest.fixture
def redis():
    """A redis-server of its own: the login limit's counts start at zero for each engine's run."""
    with redis_url() as url:
        yield url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _instance(env: dict, log: Path):
    port = _free_port()
    server = subprocess.Popen([str(BIN / "gunicorn"), "wsgi:app", "-c", str(ROOT / "gunicorn.conf.py"),
                               "--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-logfile", os.devnull,
                               "--error-logfile", str(log)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"app instance did not start: {log.read_text()[-1500:]}")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def instances(database_url, redis, committed, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis, "APP_ENV": "development",
           "SECRET_KEY": "scale-out-test-secret-key-shared-by-both", "LOGIN_RATE_LIMIT": "3 per minute"}
    env.pop("RATELIMIT_STORAGE_URI", None)
    with ExitStack() as stack:
        yield [stack.enter_context(_instance(env, tmp_path / f"instance-{n}.log")) for n in (1, 2)]


def _hidden(html: str, action: str | None = None) -> dict[str, str]:
    if action:
        html = html[html.index(f'action="{action}"'):]
        html = html[:html.index("</form>")]
    fields = (dict(ATTRIBUTE.findall(tag)) for tag in HIDDEN_INPUT.findall(html))
    return {field["name"]: unescape(field.get("value", "")) for field in fields if "name" in field}


def _log_in(browser: requests.Session, base: str, email: str, password: str = factories.PASSWORD):
    form = browser.get(f"{base}/login").text
    return browser.post(f"{base}/login", data={"email": email, "password": password, **_hidden(form)},
                        allow_redirects=False)


def _import_on(browser: requests.Session, base: str, account_id: int, data: bytes) -> None:
    """Upload, preview and confirm, as a person does on the account's import page."""
    page = browser.get(f"{base}/accounts/{account_id}/import").text
    preview = browser.post(f"{base}/accounts/{account_id}/import", data={**_hidden(page), "format": "auto"},
                           files={"file": ("march.csv", io.BytesIO(data), "text/csv")}).text
    action = f"/accounts/{account_id}/import/confirm"
    done = browser.post(f"{base}{action}", data=_hidden(preview, action), allow_redirects=False)
    assert done.status_code == 302 and "/imports/" in done.headers["Location"], preview[-2000:]


def test_two_instances_share_sessions_imports_limits_and_sign_out(db, user, instances):
    account = factories.create_account(db.session, user, name="Joint current")
    db.session.commit()
    first, second = instances

    browser = requests.Session()
    assert _log_in(browser, first, user.email).status_code == 302
    assert "Joint current" in browser.get(f"{second}/").text  # signed in on one, working on the other

    _import_on(browser, first, account.id, b"Date,Description,Amount\n2025-03-02,Scale-out bakery,-4.20\n")
    assert "Scale-out bakery" in browser.get(f"{second}/accounts/{account.id}").text

    guesser = requests.Session()
    tries = [_log_in(guesser, base, user.email, "wrong-password").status_code for base in (first, second, first)]
    assert tries == [200, 200, 200]  # three failures allowed in a minute, counted across both instances
    assert _log_in(guesser, second, user.email, "wrong-password").status_code == 429

    copied = requests.Session()
    copied.cookies.update(browser.cookies)
    page = browser.get(f"{first}/").text
    signed_out = browser.post(f"{first}/logout", data=_hidden(page, "/logout"), allow_redirects=False)
    assert signed_out.status_code == 302
    ended = copied.get(f"{second}/", allow_redirects=False)
    assert ended.status_code == 302 and "/login" in ended.headers["Location"]
