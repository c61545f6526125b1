"""A user's rules: add, edit, delete, reorder, import and export (the JSON of DESIGN.md); each change audited.

Every rule is validated through ``definitions.rule_from_json`` before it is
stored, and the category a rule sets joins the owner's category list. The
caller commits.
"""
from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.access import Scope, rule_or_404
from dashboard.audit import Actor, AuditAction, record_event
from dashboard.categories.seeding import ensure_categories
from dashboard.models import Rule, Transaction
from dashboard.models.base import utcnow
from dashboard.rules.application import definitions_of, stored_rules
from dashboard.rules.definitions import RuleDefinition, RuleError, rule_from_json

MAX_RULES = 1_000
DESCRIPTION_PREFILL_WORDS = 3


def create_rule(session: Session, scope: Scope, actor: Actor, definition: RuleDefinition) -> Rule:
    """Add a rule after the owner's others."""
    return _add(session, scope, actor, [definition])[0]


def _add(session: Session, scope: Scope, actor: Actor, definitions: Sequence[RuleDefinition]) -> list[Rule]:
    count, last = session.execute(select(func.count(), func.max(Rule.position))
                                  .where(Rule.owner_id == scope.owner_id)).one()
    if count + len(definitions) > MAX_RULES:
        raise RuleError(f"at most {MAX_RULES} rules per user")
    position = (last or 0) + 1
    rules = []
    for offset, definition in enumerate(definitions):
        rule = Rule(owner_id=scope.owner_id, position=position + offset, **_columns(definition))
        session.add(rule)
        rules.append(rule)
    ensure_categories(session, scope.owner_id, [d.category for d in definitions])
    session.flush()
    if len(rules) == 1:
        record_event(session, AuditAction.RULE_CREATE, actor, owner_id=scope.owner_id, target=f"rule:{rules[0].id}",
                     details=definitions[0].to_json())
    return rules


def edit_rule(session: Session, scope: Scope, actor: Actor, rule_id: int, definition: RuleDefinition) -> Rule:
    rule = rule_or_404(session, scope, rule_id)
    before = _json_of(rule)
    for name, value in _columns(definition).items():
        setattr(rule, name, value)
    rule.updated_at = utcnow()
    ensure_categories(session, scope.owner_id, [definition.category])
    session.flush()
    record_event(session, AuditAction.RULE_EDIT, actor, owner_id=scope.owner_id, target=f"rule:{rule.id}",
                 details={"before": before, "after": definition.to_json()})
    return rule


def delete_rule(session: Session, scope: Scope, actor: Actor, rule_id: int) -> None:
    rule = rule_or_404(session, scope, rule_id)
    details = _json_of(rule)
    session.delete(rule)
    session.flush()
    record_event(session, AuditAction.RULE_DELETE, actor, owner_id=scope.owner_id, target=f"rule:{rule_id}",
                 details=details)


def move_rule(session: Session, scope: Scope, actor: Actor, rule_id: int, steps: int) -> bool:
    """Move a rule ``steps`` places earlier (negative) or later in the order; False when it cannot move."""
    rule = rule_or_404(session, scope, rule_id)
    rules = stored_rules(session, scope.owner_id)
    index = rules.index(rule)
    wanted = max(0, min(len(rules) - 1, index + steps))
    if wanted == index:
        return False
    rules.insert(wanted, rules.pop(index))
    for position, each in enumerate(rules, 1):
        each.position = position
    session.flush()
    record_event(session, AuditAction.RULE_MOVE, actor, owner_id=scope.owner_id, target=f"rule:{rule.id}",
                 details={"from": index + 1, "to": wanted + 1})
    return True


def import_rules(session: Session, scope: Scope, actor: Actor, text: str | bytes) -> int:
    """Add the rules of a JSON document (a list, in order) after the owner's; all or none. Returns how many."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise RuleError(f"not JSON: {error}") from None
    if not isinstance(data, list):
        raise RuleError("the file must hold a JSON list of rules")
    definitions = []
    for number, item in enumerate(data, 1):
        try:
            definitions.append(rule_from_json(item))
        except RuleError as error:
            raise RuleError(f"rule {number}: {error}") from None
    rules = _add(session, scope, actor, definitions)
    record_event(session, AuditAction.RULE_IMPORT, actor, owner_id=scope.owner_id, target=f"rules:{len(rules)}",
                 details={"ids": [r.id for r in rules], "names": [d.name for d in definitions]})
    return len(rules)


def export_rules(session: Session, scope: Scope) -> str:
    """The owner's rules as the JSON ``import_rules`` reads, in their order."""
    definitions = definitions_of(stored_rules(session, scope.owner_id))
    return json.dumps([d.to_json() for d in definitions], indent=2, ensure_ascii=False) + "\n"


def rule_from_transaction(session: Session, scope: Scope, transaction: Transaction) -> dict:
    """A new rule's form values taken from one transaction: its counterparty (else the start of its description)
    and its category."""
    if transaction.counterparty:
        condition = {"field": "counterparty", "op": "equals", "value": transaction.counterparty}
    else:
        words = (transaction.description or "").split()[:DESCRIPTION_PREFILL_WORDS]
        condition = {"field": "description", "op": "contains", "value": " ".join(words)}
    actions = [{"action": "set_category", "value": transaction.category}] if transaction.category else []
    return {"name": condition["value"][:120], "match": "all", "stop": True, "conditions": [condition],
            "actions": actions}


def _columns(definition: RuleDefinition) -> dict:
    data = definition.to_json()
    return {"name": data["name"], "match": data["match"], "stop": data["stop"], "conditions": data["conditions"],
            "actions": data["actions"]}


def _json_of(rule: Rule) -> dict:
    return {"name": rule.name, "match": rule.match, "stop": rule.stop, "conditions": rule.conditions,
            "actions": rule.actions}
