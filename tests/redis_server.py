"""A throwaway redis-server (the Debian package) on a free loopback port, for the RQ tests."""
from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager

import pytest
from redis import Redis


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def redis_url():
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (Debian package redis-server)")
    port = _free_port()
    with tempfile.TemporaryDirectory() as folder:
        process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                    "--appendonly", "no", "--dir", folder], stdout=subprocess.DEVNULL)
        url = f"redis://127.0.0.1:{port}/0"
        try:
            for _ in range(100):
                try:
                    if Redis.from_url(url).ping():
                        break
                except Exception:
                    time.sleep(0.05)
            else:
                pytest.fail("redis-server did not start")
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)
