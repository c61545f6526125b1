"""`flask rules import|export|apply`: the JSON of DESIGN.md in and out, and running the rules on stored rows."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from dashboard.ledger import verify_totals
from dashboard.models import Rule, Transaction
from tests import factories

DESIGN_EXAMPLE = [{"name": "Coffee shops", "match": "all", "stop": True,
                   "conditions": [{"field": "description", "op": "contains", "value": "coffee"},
                                  {"field": "amount", "op": "between", "value": ["-20", "0"]}],
                   "actions": [{"action": "set_category", "value": "Eating out"}]}]


def _write(tmp_path, data, name="rules.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_import_then_export_round_trips_the_design_example(runner, db, user, tmp_path):
    result = runner.invoke(args=["rules", "import", _write(tmp_path, DESIGN_EXAMPLE), "--user", user.email])
    assert result.exit_code == 0 and result.output == "imported 1 rule\n"
    again = runner.invoke(args=["rules", "import", _write(tmp_path, DESIGN_EXAMPLE), "--user", user.email])
    assert again.exit_code == 0
    exported = runner.invoke(args=["rules", "export", "--user", user.email])
    assert exported.exit_code == 0
    assert json.loads(exported.output) == DESIGN_EXAMPLE * 2  # import adds after the existing rules


def test_a_bad_file_is_one_line_and_writes_nothing(runner, db, user, tmp_path):
    bad = [DESIGN_EXAMPLE[0], {"name": "Broken", "conditions": [
        {"field": "description", "op": "matches", "value": "(("}], "actions": [{"action": "skip"}]}]
    for data in (bad, "{not json", {"name": "not a list"}):
        result = runner.invoke(args=["rules", "import", _write(tmp_path, data), "--user", user.email])
        assert result.exit_code != 0 and len(result.output.strip().splitlines()) == 1, result.output
        assert "Traceback" not in result.output
    assert "rule 2" in runner.invoke(args=["rules", "import", _write(tmp_path, bad), "--user", user.email]).output
    assert db.session.scalar(select(func.count()).select_from(Rule)) == 0
    unknown = runner.invoke(args=["rules", "export", "--user", "nobody@example.com"])
    assert unknown.exit_code != 0 and "nobody@example.com" in unknown.output


def test_apply_dry_run_then_apply(runner, db, user, tmp_path):
    account = factories.create_account(db.session, user, name="Current")
    other = factories.create_account(db.session, user, name="Savings")
    factories.add_transactions(db.session, account, [("2024-01-01", "-3.50", "Coffee"), ("2024-01-02", "-9", "Tea")])
    factories.add_transactions(db.session, other, [("2024-01-01", "-2.00", "coffee")])
    runner.invoke(args=["rules", "import", _write(tmp_path, DESIGN_EXAMPLE), "--user", user.email])
    dry = runner.invoke(args=["rules", "apply", "--user", user.email, "--account", "current", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.splitlines()[-1] == "matched 1, changed 1 (dry run: nothing was changed)"
    assert "Coffee: category (none) -> Eating out" in dry.output
    assert db.session.scalar(select(func.count()).where(Transaction.category.is_not(None))) == 0
    applied = runner.invoke(args=["rules", "apply", "--user", user.email])
    assert applied.output == "matched 2, changed 2\n"
    assert runner.invoke(args=["rules", "apply", "--user", user.email]).output == "matched 2, changed 0\n"
    assert verify_totals(db.session) == []
    missing = runner.invoke(args=["rules", "apply", "--user", user.email, "--account", "Nope"])
    assert missing.exit_code != 0 and "no account named" in missing.output
