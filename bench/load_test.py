"""Load test: two gunicorn workers on loopback, PostgreSQL with demo data, locust in-process for a bounded time.

    .venv/bin/python bench/load_test.py [--users 60] [--rate 10] [--seconds 60] [--transactions 20000] [--threads N]

Each simulated person logs in (the real form, CSRF token included) and then opens the dashboard, an account
page, a search and a report; now and then one starts over with a fresh login. Every request goes to
127.0.0.1 only, the run stops by itself after --seconds, and it prints failures, p50/p99 per kind of page,
the workers' memory every 30 s, each kind of request's worker CPU time (one at a time, before the load) and
the CPU the workers, PostgreSQL and locust used per request during it. Exit 1 when any request failed. Uses BENCH_DATABASE_URL when set,
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
from urllib.parse import parse_qs, urlsplit  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402
import requests  # noqa: E402
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
MEMORY_EVERY = 30  # seconds between samples of the workers' memory during the load


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


def server_processes(database_url: str) -> list[psutil.Process]:
    """The throwaway PostgreSQL's postmaster (the one whose socket folder the URL names) and its backends;
    none for a server given in BENCH_DATABASE_URL, which may be on another host."""
    folder = parse_qs(urlsplit(database_url).query).get("host", [""])[0]
    if not folder or os.environ.get("BENCH_DATABASE_URL"):
        return []
    for process in psutil.process_iter(["cmdline"]):
        if folder in " ".join(process.info["cmdline"] or []) and "-D" in (process.info["cmdline"] or []):
            return [process, *process.children()]
    return []


def cpu_used(processes) -> float:
    """Seconds of CPU the processes have used so far (one that has ended counts nothing)."""
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def cpu_seconds(server: subprocess.Popen, database_url: str) -> dict[str, float]:
    """CPU time used so far by the gunicorn workers, this run's PostgreSQL and this load generator, so a run
    can say where each request's CPU goes on a machine where all three share the cores."""
    return {"workers": cpu_used(psutil.Process(server.pid).children()),
            "postgres": cpu_used(server_processes(database_url)), "locust": cpu_used([psutil.Process()])}


def cpu_per_page(host: str, server: subprocess.Popen, rounds: int) -> dict[str, float]:
    """Worker CPU milliseconds per request of each kind, one request at a time before the load: CPU time, so
    what the rest of the machine is doing changes it much less than it changes response times."""
    client = requests.Session()
    pages = {"log in": None, "dashboard": "/", "account page": None, "search": None,
             "report": "/reports/income-and-expenses"}
    costs: dict[str, float] = {}
    for name in pages:
        workers = psutil.Process(server.pid).children()
        before = cpu_used(workers)
        for _ in range(rounds):
            if name == "log in":
                client.cookies.clear()
                token = CSRF_FIELD.search(client.get(f"{host}/login").text).group(1)
                client.post(f"{host}/login", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD,
                                                   "csrf_token": token}, allow_redirects=False).raise_for_status()
                account = ACCOUNT_LINK.search(client.get(f"{host}/").text).group(1)
                pages["account page"], pages["search"] = f"/accounts/{account}", f"/accounts/{account}?q=coffee"
            else:
                client.get(host + pages[name], allow_redirects=False).raise_for_status()
        costs[name] = 1000 * (cpu_used(workers) - before) / rounds
    costs["log in"] -= costs["dashboard"]  # each login round also opened the login form and the dashboard
    return costs


def run_load(host: str, users: int, spawn_rate: float, seconds: int, server: subprocess.Popen):
    """The load's statistics, and the workers' memory every MEMORY_EVERY seconds of it (to see it level off)."""
    environment = Environment(user_classes=[Person], host=host)
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=spawn_rate)
    memory: list[list[float]] = []

    def sample_memory() -> None:
        while True:
            gevent.sleep(MEMORY_EVERY)
            memory.append(worker_memory_mb(server))

    sampler = gevent.spawn(sample_memory)
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    sampler.kill()
    return environment.stats, memory


def report(stats, seconds: int, memory_before: list[float], memory_after: list[float],
           cpu_before: dict[str, float], cpu_after: dict[str, float]) -> int:
    print(f"{'page':<14} {'requests':>9} {'failures':>9} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
    for entry in [*sorted(stats.entries.values(), key=lambda e: e.name), stats.total]:
        print(f"{entry.name:<14} {entry.num_requests:>9} {entry.num_failures:>9} "
              f"{entry.num_requests / seconds:>7.1f} {entry.get_response_time_percentile(0.5):>7.0f} "
              f"{entry.get_response_time_percentile(0.99):>7.0f} {entry.max_response_time:>7.0f}")
    for error in stats.errors.values():
        print(f"failed: {error.method} {error.name}: {error.error} ({error.occurrences}x)")
    print(f"worker memory (RSS MB) before {memory_before}, after {memory_after}")
    requests = max(stats.total.num_requests, 1)
    print("CPU per request (ms): " + ", ".join(
        f"{name} {1000 * (cpu_after[name] - cpu_before[name]) / requests:.1f}" for name in cpu_before)
        + f"; over the run: " + ", ".join(f"{name} {cpu_after[name] - cpu_before[name]:.0f} s" for name in cpu_before))
    return 1 if stats.total.num_failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--rate", type=float, default=10, help="people started per second")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--transactions", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="threads per worker (default: gunicorn.conf.py's)")
    args = parser.parse_args()
    with ExitStack() as stack:
        url = os.environ.get("BENCH_DATABASE_URL") or stack.enter_context(postgres_url())
        env = {**os.environ, "DATABASE_URL": url, "APP_ENV": "development", "WEB_CONCURRENCY": str(args.workers),
               "LOGIN_RATE_LIMIT": "1000000 per minute",
               **({"GUNICORN_THREADS": str(args.threads)} if args.threads else {})}
        prepare(env, args.transactions)
        port = free_port()
        log = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "gunicorn.log"
        server = stack.enter_context(gunicorn(env, port, args.workers, log))
        host = f"http://127.0.0.1:{port}"
        costs = cpu_per_page(host, server, rounds=20)
        print("worker CPU per request, one at a time (ms): "
              + ", ".join(f"{name} {cost:.1f}" for name, cost in costs.items()), flush=True)
        before, cpu_before = worker_memory_mb(server), cpu_seconds(server, url)
        print(f"{args.users} people for {args.seconds}s against {args.workers} gunicorn workers "
              f"({args.threads or 1} thread(s) each) on port {port}, "
              f"{args.transactions:,} demo transactions", flush=True)
        stats, memory = run_load(host, args.users, args.rate, args.seconds, server)
        print(f"worker memory (RSS MB) every {MEMORY_EVERY}s: {memory}")
        failed = report(stats, args.seconds, before, worker_memory_mb(server), cpu_before, cpu_seconds(server, url))
        if failed:
            print("gunicorn's log ends:\n" + log.read_text()[-3000:])
        return failed


if __name__ == "__main__":
    sys.exit(main())
