"""Login and password-change limits: failed attempts only, per address and per email, shared through Redis."""
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import factories

LIMITED = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}
NEW_PASSWORD = "a much longer passphrase"


def _fail(client, email, address="198.51.100.1"):
    return client.post("/login", data={"email": email, "password": "wrong"},
                       environ_base={"REMOTE_ADDR": address}).status_code


@pytest.mark.parametrize("app_config", [LIMITED])
def test_successful_logins_from_one_office_are_not_counted(app, client, user, app_config):
    for _ in range(6):
        assert factories.log_in(client, user.email).status_code == 302
        client.post("/logout")
    assert _fail(client, user.email) == 200


@pytest.mark.parametrize("app_config", [LIMITED])
def test_failures_are_limited_per_address(client, db, user, app_config):
    factories.create_user(db.session, "bob@example.com")
    assert [_fail(client, email) for email in ("a@example.com", "b@example.com", "c@example.com")] == [200] * 3
    assert _fail(client, "d@example.com") == 429


@pytest.mark.parametrize("app_config", [LIMITED])
def test_failures_are_limited_per_email_across_addresses(client, user, app_config):
    statuses = [_fail(client, user.email, f"198.51.100.{n}") for n in range(1, 5)]
    assert statuses == [200, 200, 200, 429]
    assert _fail(client, "someone.else@example.com", "198.51.100.9") == 200


@pytest.mark.parametrize("app_config", [LIMITED])
def test_the_429_page_says_when_to_try_again(client, user, app_config):
    for _ in range(3):
        _fail(client, user.email)
    response = client.post("/login", data={"email": user.email, "password": "wrong"},
                           environ_base={"REMOTE_ADDR": "198.51.100.1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    wait = int(re.search(r"Please wait (\d+) seconds? before trying again\.", page).group(1))
    assert 1 <= wait <= 61
    assert 'href="/login"' in page and "Back to the log-in page" in page
    assert int(response.headers["Retry-After"]) <= 60


@pytest.mark.parametrize("app_config", [LIMITED])
def test_the_password_change_is_limited(auth_client, user, app_config):
    statuses = [auth_client.post("/account/password", data={
        "current_password": f"wrong {n}", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}).status_code
        for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_current_password_is_refused_as_the_new_one(auth_client, user):
    response = auth_client.post("/account/password", data={
        "current_password": factories.PASSWORD, "new_password": factories.PASSWORD,
        "confirm_password": factories.PASSWORD})
    assert "Choose a password different from your current one." in response.get_data(as_text=True)


def test_a_blank_new_password_gets_one_message(auth_client, user):
    page = auth_client.post("/account/password", data={
        "current_password": factories.PASSWORD, "new_password": "", "confirm_password": ""}).get_data(as_text=True)
    assert page.count("Choose a new password.") == 1
    assert "This field is required" not in page and "differ" not in page


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A throwaway redis-server on a loopback port; a missing redis-server is a failure."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed (apt-get install redis-server)"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--dir", str(folder)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(10)


def test_with_redis_url_two_apps_share_the_counts(redis_url, database_url, user, db, monkeypatch):
    """Two apps stand for two gunicorn workers: with REDIS_URL the second sees the first one's failures."""
    from config import TestingConfig
    from dashboard import create_app

    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.setenv("REDIS_URL", redis_url)
    db.session.commit()
    workers = []
    for _ in range(2):
        config = TestingConfig(database_url)
        config.RATELIMIT_ENABLED, config.LOGIN_RATE_LIMIT = True, "3 per minute"
        assert config.RATELIMIT_STORAGE_URI == redis_url
        workers.append(create_app(config).test_client())
    email = "shared.limit@example.com"
    statuses = [_fail(workers[n % 2], email) for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_gunicorn_warns_when_workers_count_limits_on_their_own(tmp_path):
    script = ("import logging, types, gunicorn_conf as g\n"
              "log = logging.getLogger('g'); logging.basicConfig()\n"
              "for n in (1, 2): g.warn_about_per_worker_limits(types.SimpleNamespace("
              "cfg=types.SimpleNamespace(workers=n), log=log))\n")
    root = Path(__file__).resolve().parents[1]
    shutil.copy(root / "gunicorn.conf.py", tmp_path / "gunicorn_conf.py")
    env = {"PATH": "/usr/bin:/bin", "APP_ENV": "testing", "PYTHONPATH": f"{tmp_path}:{root}"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.stderr.count("login limits are counted per worker (2 workers") == 1, result.stderr
    env["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert "counted per worker" not in result.stderr
