"""What a missed figure spends its time on, measured in the benchmark's own run: the cost the table names.

A page is requested in the bench process through the app's test client (no
network, no gunicorn): once unprofiled for its wall time and its SQL (every
statement's execute timed through SQLAlchemy's cursor events), then under
cProfile for where its Python time goes, summed by package (jinja2,
sqlalchemy, psycopg2, babel, our own dashboard code, the compiled templates…).
cProfile slows Python down, so its figures are shares, not milliseconds.
"""
from __future__ import annotations

import cProfile
import pstats
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]


class SqlClock:
    """Time spent in, and the number of, SQL statements run on ``engine`` while it is entered."""

    def __init__(self, engine) -> None:
        self.engine, self.seconds, self.statements, self._started = engine, 0.0, 0, {}
        self.slowest: tuple[float, str, object] = (0.0, "", None)  # seconds, statement, parameters
        self.heads: Counter[str] = Counter()  # each statement's first words: which queries a request makes

    def _before(self, _conn, cursor, *_args) -> None:
        self._started[id(cursor)] = time.perf_counter()

    def _after(self, _conn, cursor, statement, parameters, *_args) -> None:
        seconds = time.perf_counter() - self._started.pop(id(cursor), time.perf_counter())
        self.seconds += seconds
        self.statements += 1
        self.heads[" ".join(statement.split())[:90]] += 1
        if seconds > self.slowest[0]:
            self.slowest = (seconds, statement, parameters)

    def __enter__(self) -> SqlClock:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def area(filename: str) -> str:
    """The package a profiled function belongs to."""
    if filename.startswith("~") or filename.startswith("<"):
        return "C built-ins"  # the driver's execute is in psycopg2's row, see python_shares
    if "/site-packages/" in filename:
        return filename.split("/site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if filename.endswith(".html"):
        return "templates (compiled Jinja)"
    if str(ROOT / "dashboard") in filename:
        return "dashboard (ours)"
    return "stdlib"


def python_shares(profiler: cProfile.Profile, top: int = 4) -> list[tuple[str, float]]:
    """The ``top`` packages by own time, as fractions of all profiled time."""
    own: Counter[str] = Counter()
    for (filename, _line, name), (_cc, _nc, own_time, _cum, _callers) in pstats.Stats(profiler).stats.items():
        own["psycopg2 (waiting on PostgreSQL)" if "psycopg2" in name else area(filename)] += own_time
    total = sum(own.values()) or 1.0
    return [(name, seconds / total) for name, seconds in own.most_common(top)]


def page_cost(client, engine, path: str, runs: int = 5) -> dict:
    """In-process wall ms, SQL ms and statements per request of ``path``, and its Python time's top packages."""
    assert client.get(path).status_code == 200, path  # warm caches, as the gunicorn workers are
    with SqlClock(engine) as sql:
        started = time.perf_counter()
        for _ in range(runs):
            client.get(path)
        wall = (time.perf_counter() - started) / runs
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get(path)
    profiler.disable()
    return {"in_process_ms": round(wall * 1000, 1), "sql_ms": round(sql.seconds / runs * 1000, 1),
            "statements": round(sql.statements / runs, 1),
            "python_shares": {name: round(share, 3) for name, share in python_shares(profiler)},
            "statement_heads": {head: count / runs for head, count in sql.heads.items()},
            "slowest_statement_ms": round(sql.slowest[0] * 1000, 1),
            "slowest_statement_plan": explained(engine, sql.slowest[1], sql.slowest[2])}


def explained(engine, statement: str, parameters) -> list[str]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of one statement as it ran (PostgreSQL), its plan's lines."""
    if not statement or engine.dialect.name != "postgresql":
        return []
    connection = engine.raw_connection()
    try:
        with connection.cursor() as cursor:
            sql = cursor.mogrify(statement, parameters).decode()
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [line for (line,) in cursor.fetchall()]
        connection.rollback()
    finally:
        connection.close()
    return plan


def plan_summary(plan: list[str], nodes: int = 3) -> str:
    """The plan's first nodes and its execution time, on one line."""
    lines = [line.strip().removeprefix("-> ").split("  (cost=")[0] + _actual(line) for line in plan
             if "(cost=" in line][:nodes]
    total = next((line.strip() for line in plan if line.startswith("Execution Time")), "")
    return "; ".join(lines) + (f"; {total}" if total else "")


def _actual(line: str) -> str:
    if "actual time=" not in line:
        return ""
    actual = line.split("actual time=", 1)[1].split(")", 1)[0]  # "0.1..43.2 rows=50 loops=1"
    return f" [{actual.split('..', 1)[-1]}]"


def describe_page_cost(cost: dict) -> str:
    shares = ", ".join(f"{name} {share:.0%}" for name, share in cost["python_shares"].items())
    slowest = ""
    if cost.get("slowest_statement_plan"):
        slowest = f"; slowest statement {cost['slowest_statement_ms']:.1f} ms: " \
                  f"{plan_summary(cost['slowest_statement_plan'])}"
        executed = execution_ms(cost["slowest_statement_plan"])
        if executed is not None and executed < cost["slowest_statement_ms"] / 4:
            slowest += " (PostgreSQL executes it in a fraction of the wait: the rest is the round trip)"
    return (f"in-process {cost['in_process_ms']:.1f} ms a request: SQL {cost['sql_ms']:.1f} ms in "
            f"{cost['statements']:g} statements, the rest Python (profiled own time: {shares}){slowest}")


def execution_ms(plan: list[str]) -> float | None:
    line = next((line for line in plan if line.startswith("Execution Time")), None)
    return float(line.split(":", 1)[1].split()[0]) if line else None
