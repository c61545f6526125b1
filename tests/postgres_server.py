"""A throwaway PostgreSQL server for the test run, started from the machine's binaries.

PostgreSQL refuses to run as root, so as root the server runs as the
``postgres`` user. It listens only on a Unix socket in its own temporary
folder and is stopped and removed when the run ends.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _bin_dir() -> Path:
    pg_config = shutil.which("pg_config")
    candidates = []
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise PostgresUnavailable("no PostgreSQL binaries found (initdb, pg_ctl); install postgresql")


class PostgresServer:
    def __init__(self) -> None:
        self.bin_dir = _bin_dir()
        self.folder = Path(tempfile.mkdtemp(prefix="pgtest-"))
        self.data = self.folder / "data"
        self.port = 5432
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        command = [str(a) for a in args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(command)} failed: {(result.stderr or result.stdout).strip()}")

    def start(self) -> str:
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(self.bin_dir / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        self.resume()
        self._run(self.bin_dir / "createdb", "-h", self.folder, "-p", self.port, "-U", "postgres", "dashboard_test")
        return f"postgresql://postgres@/dashboard_test?host={self.folder}&port={self.port}"

    def resume(self) -> None:
        """Start the server on its data folder (again, after :meth:`kill`)."""
        options = (f"-k {self.folder} -p {self.port} -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(self.bin_dir / "pg_ctl", "-D", self.data, "-o", options, "-l", self.folder / "log", "-w", "start")

    def kill(self) -> None:
        """Stop the server at once, as a crash would, keeping its data for :meth:`resume`.

        What was committed is written out first: this server commits asynchronously for speed
        (``synchronous_commit=off``), so a crash could lose the last commits, which a production server keeps.
        """
        self._run(self.bin_dir / "psql", "-h", self.folder, "-p", self.port, "-U", "postgres", "-d", "postgres",
                  "-q", "-c", "CHECKPOINT")
        self._run(self.bin_dir / "pg_ctl", "-D", self.data, "-m", "immediate", "stop")

    def stop(self) -> None:
        try:
            self._run(self.bin_dir / "pg_ctl", "-D", self.data, "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def postgres_url(given: str | None = None) -> Iterator[str]:
    """``given`` when set (a server of your own); otherwise a throwaway server for the duration."""
    if given:
        yield given
        return
    server = PostgresServer()
    try:
        yield server.start()
    finally:
        server.stop()
