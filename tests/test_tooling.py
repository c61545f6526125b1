"""Security tooling that CI runs with the tests: bandit over the code, pip-audit over the locked dependencies."""
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


def test_pip_audit_finds_no_known_vulnerability_in_the_locked_dependencies():
    """Needs the PyPI vulnerability service; a package it could not look up is a failure, never a pass."""
    result = _run(str(TOOLS / "pip-audit"), "-r", str(LOCK), "--no-deps", "--disable-pip", "-f", "json",
                  "--progress-spinner", "off")
    try:
        report = json.loads(result.stdout)
    except ValueError:
        raise AssertionError(f"pip-audit gave no report (exit {result.returncode}): {result.stderr[-2000:]}") from None
    dependencies = report["dependencies"]
    unaudited = [d["name"] for d in dependencies if d.get("skip_reason")]
    assert not unaudited, (
        f"pip-audit could not look up {len(unaudited)} of {len(dependencies)} locked packages in the PyPI "
        f"vulnerability service (it does not answer from this machine: the audit cannot pass here), "
        f"e.g. {', '.join(unaudited[:5])}")
    vulnerable = [f"{d['name']} {d['version']}: {v['id']} (fixed in {', '.join(v['fix_versions']) or 'no release'})"
                  for d in dependencies for v in d.get("vulns", [])]
    assert not vulnerable, "\n".join(vulnerable)
