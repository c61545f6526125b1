"""Known vulnerabilities in the locked dependencies, from PyPI's current advisory data (OSV's, as PyPI serves it).

    .venv/bin/python .ci/audit_lock.py [--strict] [requirements.lock]

pip-audit's own services do not answer from the build machines: PyPI's JSON per version
(``/pypi/NAME/VERSION/json``) answers 404 for every package and OSV's API cannot be reached, so
``pip-audit --strict`` fails there with every pin unaudited (and without ``--strict`` it says "No known
vulnerabilities found" having audited nothing). PyPI's JSON per project (``/pypi/NAME/json``) does answer, and
carries the advisories that affect the project's latest release. So a pin that is the latest release is audited
against current data; a pin behind the latest cannot be audited this way, and is listed as not audited, with
the reason from HELD_BACK when it is held back on purpose. Exit 1 on any known vulnerability or when PyPI cannot
be reached; with --strict (``make audit``) also on a pin behind the latest with no reason in HELD_BACK (a new
release came out since the lock: run ``make lock``). Each line printed names the package.
"""
from __future__ import annotations

import sys
from pathlib import Path

import requests
from packaging.utils import canonicalize_name

LOCK = Path(__file__).resolve().parents[1] / "requirements.lock"
PROJECT_JSON = "https://pypi.org/pypi/{name}/json"

# Pins that are not PyPI's latest release, and why: these are not audited by this route.
HELD_BACK = {
    "deprecated": "3.x needs Python 3.12; the project runs on 3.11",
    "networkx": "3.7 needs Python 3.12",
    "numpy": "2.5 needs Python 3.12",
    "mpmath": "sympy (through the dev tools) caps it below 1.4",
    "jsonschema-rs": "schemathesis caps it below 0.61",
    "python-dateutil": "botocore caps it below 3",
    "sqlalchemy": "pyproject.toml caps it below 2.1 (2.1 is a new minor series, not yet tested here)",
}


def locked_pins(lock: Path) -> dict[str, str]:
    return {canonicalize_name(name): version for name, _, version in
            (line.strip().partition("==") for line in lock.read_text().splitlines())
            if name and not name.startswith("#")}


def audit(pins: dict[str, str], session: requests.Session, strict: bool) -> tuple[list[str], list[str], int]:
    """(problems, unaudited pins with their reasons, how many pins were audited)."""
    problems, unaudited, audited = [], [], 0
    for name, version in sorted(pins.items()):
        response = session.get(PROJECT_JSON.format(name=name), timeout=30)
        if response.status_code != 200:
            problems.append(f"{name} {version}: PyPI answered {response.status_code}")
            continue
        project = response.json()
        latest = project["info"]["version"]
        if latest != version:
            reason = HELD_BACK.get(name)
            if reason is None and strict:
                problems.append(f"{name} {version}: not the latest release ({latest}), so not audited; "
                                "upgrade the pin or write down in HELD_BACK why it is held back")
            else:
                unaudited.append(f"{name} {version} (latest {latest}): {reason or 'released since the lock'}")
            continue
        audited += 1
        for advisory in project.get("vulnerabilities") or []:
            if advisory.get("withdrawn"):
                continue
            fixed = ", ".join(advisory.get("fixed_in") or []) or "no fix yet"
            problems.append(f"{name} {version}: {advisory['id']} ({', '.join(advisory.get('aliases') or [])}); "
                            f"fixed in {fixed}: {(advisory.get('summary') or advisory.get('details') or '')[:120]}")
    return problems, unaudited, audited


def main(argv: list[str]) -> int:
    strict = "--strict" in argv[1:]
    paths = [arg for arg in argv[1:] if arg != "--strict"]
    pins = locked_pins(Path(paths[0]) if paths else LOCK)
    try:
        problems, unaudited, audited = audit(pins, requests.Session(), strict)
    except requests.RequestException as error:
        print(f"PyPI could not be reached: {error.__class__.__name__}", file=sys.stderr)
        return 1
    for line in unaudited:
        print(f"not audited: {line}")
    for line in problems:
        print(f"FAIL {line}")
    print(f"{audited} of {len(pins)} pins audited against PyPI's current advisories, {len(unaudited)} not audited "
          f"(listed above), {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
