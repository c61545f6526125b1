"""`make run` a second time: no reinstall, and the demo login printed only while it works."""
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import select

from dashboard.demo import DEMO_EMAIL, DEMO_PASSWORD
from dashboard.models import User

ROOT = Path(__file__).resolve().parents[1]


def test_a_second_make_run_does_not_install_again():
    """`make test` has installed: `make -q install` (a question, nothing run) says there is nothing to do."""
    assert shutil.which("make")
    up_to_date = subprocess.run(["make", "-q", "install"], cwd=ROOT).returncode == 0
    assert up_to_date, "pyproject.toml or requirements.lock is newer than the install: run `make install`"
    dry_run = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "pip install" not in dry_run and "wsgi.py" in dry_run


def test_the_demo_login_is_printed_only_while_it_works(runner, db):
    assert runner.invoke(args=["demo", "seed", "--transactions", "10"]).exit_code == 0
    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}" in again.output
    demo = db.session.scalar(select(User).where(User.email == DEMO_EMAIL))
    demo.set_password("a-new-password-of-mine")
    db.session.commit()
    changed = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert changed.exit_code == 0
    assert DEMO_PASSWORD not in changed.output and "make reset-demo" in changed.output


def test_make_reset_demo_starts_from_an_empty_database():
    dry_run = subprocess.run(["make", "-n", "reset-demo"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "rm -f instance/dashboard.db" in dry_run
