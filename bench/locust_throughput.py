"""Locust file for ``bench/bench.py``: every simulated person opens BENCH_PATH back to back, with BENCH_COOKIE.

    locust -f bench/locust_throughput.py --headless --host http://127.0.0.1:PORT -u 8 -r 8 -t 15s --json
"""
import os

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser


class Visitor(FastHttpUser):
    wait_time = constant(0)

    @task
    def page(self) -> None:
        headers = {"Cookie": os.environ["BENCH_COOKIE"]} if os.environ.get("BENCH_COOKIE") else {}
        with self.client.get(os.environ.get("BENCH_PATH", "/"), headers=headers, catch_response=True,
                             allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
