"""The browser suite's fixtures: a live server over the demo data, Debian's Chromium and axe-core's source."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from dashboard.demo import seed_demo

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
WIDE, SMALL_PHONE = {"width": 1440, "height": 900}, {"width": 360, "height": 740}  # the ends of the range
BROWSER_TESTS = Path(__file__).parent / "browser"
AXE = BROWSER_TESTS / "node_modules" / "axe-core" / "axe.min.js"  # `npm ci --prefix tests/e2e/browser` (make test)
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR") or BROWSER_TESTS / "screenshots")  # CI keeps this folder


@pytest.fixture
def live_server(committed, app, db):
    seed_demo(db.session, 400)
    db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE}: run `npm ci --prefix tests/e2e/browser` (make test does)")
    return AXE.read_text()
