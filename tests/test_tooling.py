"""Security tooling that CI runs with the tests: bandit over the code, a lock that pins every dependency, and
the locked pins checked against PyPI's current advisories.

pip-audit's own services (PyPI's JSON per version, OSV) do not answer from the build machines, so the audit is
``.ci/audit_lock.py`` (see its docstring): it needs PyPI, as ``make install`` does.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
LOCK = PROJECT / "requirements.lock"
TOOLS = Path(sys.executable).parent


def _run(*command: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=timeout)


def test_bandit_finds_nothing_of_medium_severity_or_above():
    result = _run(str(TOOLS / "bandit"), "-r", "dashboard", "-ll", "-q", "-f", "json")
    findings = json.loads(result.stdout)["results"]
    assert not findings, "\n".join(
        f"{f['filename']}:{f['line_number']}: {f['test_id']} {f['issue_severity']} {f['issue_text']}" for f in findings)
    assert result.returncode == 0, result.stderr


def test_the_lock_pins_every_dependency_of_the_project():
    pins = {line.split("==")[0].lower().replace("_", "-") for line in LOCK.read_text().splitlines()
            if line and not line.startswith("#")}
    assert all("==" in line for line in LOCK.read_text().splitlines() if line and not line.startswith("#"))
    for needed in ("flask", "sqlalchemy", "psycopg2-binary", "cryptography", "boto3", "pytest", "bandit"):
        assert needed in pins



def test_the_locked_pins_have_no_known_vulnerability():
    """Fails on an advisory against a pin, on a pin held back from the latest release without a written reason,
    and when PyPI does not answer (a run that audited nothing is not a pass)."""
    result = _run(str(TOOLS / "python"), ".ci/audit_lock.py", str(LOCK))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "pins audited against PyPI's current advisories" in result.stdout
