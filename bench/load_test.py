"""Load test: two gunicorn workers on loopback, PostgreSQL with demo data, locust in-process for a bounded time.

    .venv/bin/python bench/load_test.py [--users 60] [--rate 5] [--seconds 60] [--transactions 20000]

Each simulated person logs in (the real form, CSRF token included) and then opens the dashboard, an account
page, a search and a report; now and then one starts over with a fresh login. Every request goes to
127.0.0.1 only, the run stops by itself after --seconds, and it prints failures, p50/p99 per kind of page
and the workers' memory before and after. Exit 1 when any request failed. Uses BENCH_DATABASE_URL when set,
otherwise a throwaway PostgreSQL from the machine's binaries, as the tests do. Not part of `make test`.
"""
from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from contextlib import ExitStack, contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402
from locust import between, task  # noqa: E402
from locust.contrib.fasthttp import FastHttpUser  # noqa: E402
from locust.env import Environment  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.demo import DEMO_EMAIL, DEMO_PASSWORD  # noqa: E402
from tests.postgres_server import postgres_url  # noqa: E402

BIN = Path(sys.executable).parent
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ACCOUNT_LINK = re.compile(r'href="/accounts/(\d+)"')


class Person(FastHttpUser):
    """One signed-in person; the task weights are how often each page is opened."""
    wait_time = between(0.1, 0.3)
    account_id: str = ""

    def on_start(self) -> None:
        self.log_in()

    def log_in(self) -> None:
        self.client.cookiejar.clear()
        form = self.client.get("/login", name="login form")
        token = CSRF_FIELD.search(form.text or "")
        self.client.post("/login", name="log in", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD,
                                                         "csrf_token": token.group(1) if token else ""})
        dashboard = self.client.get("/", name="dashboard")
        accounts = ACCOUNT_LINK.findall(dashboard.text or "")
        self.account_id = accounts[0] if accounts else "0"

    @task(4)
    def dashboard(self) -> None:
        self.client.get("/", name="dashboard")

    @task(4)
    def account_page(self) -> None:
        self.client.get(f"/accounts/{self.account_id}", name="account page")

    @task(3)
    def search(self) -> None:
        self.client.get(f"/accounts/{self.account_id}?q=coffee", name="search")

    @task(3)
    def report(self) -> None:
        self.client.get("/reports/income-and-expenses", name="report")

    @task(1)
    def fresh_login(self) -> None:
        self.log_in()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare(env: dict, transactions: int) -> None:
    for command in (["db", "upgrade"], ["demo", "seed", "--transactions", str(transactions)]):
        subprocess.run([str(BIN / "flask"), "--app", "wsgi", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True)


@contextmanager
def gunicorn(env: dict, port: int, workers: int, log: Path):
    server = subprocess.Popen([str(BIN / "gunicorn"), "wsgi:app", "--bind", f"127.0.0.1:{port}",
                               "--workers", str(workers), "--access-logfile", os.devnull, "--error-logfile",
                               str(log)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)  # nosec B310
                if len(psutil.Process(server.pid).children()) == workers:
                    break
                time.sleep(0.5)
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn did not start: {log.read_text()[-500:]}") from None
                time.sleep(0.5)
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


def worker_memory_mb(server: subprocess.Popen) -> list[float]:
    return [round(child.memory_info().rss / 2**20, 1) for child in psutil.Process(server.pid).children()]


def run_load(host: str, users: int, spawn_rate: float, seconds: int):
    environment = Environment(user_classes=[Person], host=host)
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=spawn_rate)
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    return environment.stats


def report(stats, seconds: int, memory_before: list[float], memory_after: list[float]) -> int:
    print(f"{'page':<14} {'requests':>9} {'failures':>9} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
    for entry in [*sorted(stats.entries.values(), key=lambda e: e.name), stats.total]:
        print(f"{entry.name:<14} {entry.num_requests:>9} {entry.num_failures:>9} "
              f"{entry.num_requests / seconds:>7.1f} {entry.get_response_time_percentile(0.5):>7.0f} "
              f"{entry.get_response_time_percentile(0.99):>7.0f} {entry.max_response_time:>7.0f}")
    for error in stats.errors.values():
        print(f"failed: {error.method} {error.name}: {error.error} ({error.occurrences}x)")
    print(f"worker memory (RSS MB) before {memory_before}, after {memory_after}")
    return 1 if stats.total.num_failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--rate", type=float, default=10, help="people started per second")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--transactions", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with ExitStack() as stack:
        url = os.environ.get("BENCH_DATABASE_URL") or stack.enter_context(postgres_url())
        env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "development", "WEB_CONCURRENCY": str(args.workers),
               "LOGIN_RATE_LIMIT": "1000000 per minute"}
        prepare(env, args.transactions)
        port = free_port()
        log = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "gunicorn.log"
        server = stack.enter_context(gunicorn(env, port, args.workers, log))
        before = worker_memory_mb(server)
        print(f"{args.users} people for {args.seconds}s against {args.workers} gunicorn workers on port {port}, "
              f"{args.transactions:,} demo transactions", flush=True)
        stats = run_load(f"http://127.0.0.1:{port}", args.users, args.rate, args.seconds)
        failed = report(stats, args.seconds, before, worker_memory_mb(server))
        if failed:
            print("gunicorn's log ends:\n" + log.read_text()[-3000:])
        return failed


if __name__ == "__main__":
    sys.exit(main())
