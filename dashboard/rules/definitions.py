"""A rule as data: its conditions and actions read from (and written back to) the JSON of DESIGN.md.

``rule_from_json`` is the one validator: the rule form, ``rules import`` and
the API all build a :class:`RuleDefinition` through it, so a rule that is
stored is a rule that can run. A regular expression is compiled here, so a
bad one is refused when it is saved, not when it first meets a row.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

import regex

from dashboard.models.base import storable_amount
from dashboard.models.rules import RuleMatch
from dashboard.rules.folding import strip_accents


class Field(StrEnum):
    DESCRIPTION = "description"
    COUNTERPARTY = "counterparty"
    AMOUNT = "amount"
    ACCOUNT = "account"
    DIRECTION = "direction"


class Op(StrEnum):
    CONTAINS = "contains"
    EQUALS = "equals"
    STARTS_WITH = "starts_with"
    MATCHES = "matches"
    ABOVE = "above"
    BELOW = "below"
    BETWEEN = "between"
    IS = "is"


class ActionKind(StrEnum):
    SET_CATEGORY = "set_category"
    SET_COUNTERPARTY = "set_counterparty"
    APPEND_NOTE = "append_note"
    MARK_TRANSFER = "mark_transfer"
    SKIP = "skip"  # on import: the row is not imported


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


TEXT_FIELDS = (Field.DESCRIPTION, Field.COUNTERPARTY)
OPS_BY_FIELD: dict[Field, tuple[Op, ...]] = {
    Field.DESCRIPTION: (Op.CONTAINS, Op.EQUALS, Op.STARTS_WITH, Op.MATCHES),
    Field.COUNTERPARTY: (Op.CONTAINS, Op.EQUALS, Op.STARTS_WITH, Op.MATCHES),
    Field.AMOUNT: (Op.EQUALS, Op.ABOVE, Op.BELOW, Op.BETWEEN),
    Field.ACCOUNT: (Op.IS,),
    Field.DIRECTION: (Op.IS,),
}
VALUE_LIMITS = {ActionKind.SET_CATEGORY: 120, ActionKind.SET_COUNTERPARTY: 255, ActionKind.APPEND_NOTE: 500}
ACTIONS_WITHOUT_VALUE = (ActionKind.MARK_TRANSFER, ActionKind.SKIP)
NAME_LIMIT = 120
TEXT_VALUE_LIMIT = 255
PATTERN_LIMIT = 500
MAX_CONDITIONS = MAX_ACTIONS = 20


class RuleError(ValueError):
    """A rule that cannot be stored, with the reason in words a user can act on."""


@dataclass(frozen=True)
class Condition:
    field: Field
    op: Op
    value: str | Decimal | tuple[Decimal, Decimal]

    def to_json(self) -> dict:
        value = self.value
        if isinstance(value, tuple):
            value = [str(v) for v in value]
        elif isinstance(value, Decimal):
            value = str(value)
        return {"field": self.field.value, "op": self.op.value, "value": value}


@dataclass(frozen=True)
class Action:
    action: ActionKind
    value: str | None = None

    def to_json(self) -> dict:
        return {"action": self.action.value} | ({"value": self.value} if self.value is not None else {})


@dataclass(frozen=True)
class RuleDefinition:
    name: str
    match: RuleMatch
    stop: bool
    conditions: tuple[Condition, ...]
    actions: tuple[Action, ...]
    rule_id: int | None = None  # the stored rule's id, when it is one

    def to_json(self) -> dict:
        return {"name": self.name, "match": self.match.value, "stop": self.stop,
                "conditions": [c.to_json() for c in self.conditions],
                "actions": [a.to_json() for a in self.actions]}

    @property
    def category(self) -> str | None:
        """The category the rule sets, if it sets one."""
        return next((a.value for a in self.actions if a.action == ActionKind.SET_CATEGORY), None)


def rule_from_json(data, rule_id: int | None = None) -> RuleDefinition:
    """Validate one rule as JSON (a dict); raises :class:`RuleError` naming what is wrong."""
    if not isinstance(data, dict):
        raise RuleError("a rule must be a JSON object")
    name = _text(data.get("name"), "the name", NAME_LIMIT)
    try:
        return _definition(data, name, rule_id)
    except RuleError as error:
        raise RuleError(f"rule {name!r}: {error}") from None


def _definition(data: dict, name: str, rule_id: int | None) -> RuleDefinition:
    match = data.get("match", RuleMatch.ALL.value)
    if match not in tuple(RuleMatch):
        raise RuleError('"match" must be "all" or "any"')
    stop = data.get("stop", True)
    if not isinstance(stop, bool):
        raise RuleError('"stop" must be true or false')
    conditions, actions = data.get("conditions"), data.get("actions")
    if not isinstance(conditions, list) or not conditions:
        raise RuleError("it needs at least one condition")
    if not isinstance(actions, list) or not actions:
        raise RuleError("it needs at least one action")
    if len(conditions) > MAX_CONDITIONS or len(actions) > MAX_ACTIONS:
        raise RuleError(f"at most {MAX_CONDITIONS} conditions and {MAX_ACTIONS} actions")
    return RuleDefinition(
        name, RuleMatch(match), stop,
        tuple(_numbered(_condition, number, c) for number, c in enumerate(conditions, 1)),
        tuple(_numbered(_action, number, a) for number, a in enumerate(actions, 1)),
        rule_id,
    )


def _numbered(parse, number: int, item):
    try:
        return parse(item)
    except RuleError as error:
        raise RuleError(f"{parse.__name__.lstrip('_')} {number}: {error}") from None


def _condition(data) -> Condition:
    if not isinstance(data, dict):
        raise RuleError("must be a JSON object")
    field, op, value = data.get("field"), data.get("op"), data.get("value")
    if field not in tuple(Field):
        raise RuleError(f"unknown field {field!r} (one of {', '.join(Field)})")
    field = Field(field)
    if op not in OPS_BY_FIELD[field]:
        raise RuleError(f"{field} takes {', '.join(OPS_BY_FIELD[field])}, not {op!r}")
    op = Op(op)
    if field in TEXT_FIELDS:
        text = _text(value, "the value", PATTERN_LIMIT if op == Op.MATCHES else TEXT_VALUE_LIMIT)
        if op == Op.MATCHES:
            compiled_pattern(text)
        return Condition(field, op, text)
    if field == Field.AMOUNT:
        if op == Op.BETWEEN:
            if not isinstance(value, list) or len(value) != 2:
                raise RuleError('"between" takes two amounts, as ["-20", "0"]')
            low, high = sorted((_amount(value[0]), _amount(value[1])))
            return Condition(field, op, (low, high))
        return Condition(field, op, _amount(value))
    if field == Field.DIRECTION:
        if value not in tuple(Direction):
            raise RuleError('direction is "in" or "out"')
        return Condition(field, op, Direction(value).value)
    return Condition(field, op, _text(value, "the account name", NAME_LIMIT))


def _action(data) -> Action:
    if not isinstance(data, dict):
        raise RuleError("must be a JSON object")
    kind = data.get("action")
    if kind not in tuple(ActionKind):
        raise RuleError(f"unknown action {kind!r} (one of {', '.join(ActionKind)})")
    kind = ActionKind(kind)
    if kind in ACTIONS_WITHOUT_VALUE:
        return Action(kind)
    return Action(kind, _text(data.get("value"), "the value", VALUE_LIMITS[kind]))


def _text(value, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RuleError(f"{what} must be some text")
    if "\x00" in value:
        raise RuleError(f"{what} holds a NUL character")
    if len(value.strip()) > limit:
        raise RuleError(f"{what} is longer than {limit} characters")
    return value.strip()


def _amount(value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RuleError(f"{value!r} is not an amount (write it as a string, \"-20.00\")")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise RuleError(f"{value!r} is not an amount") from None
    if not storable_amount(amount):
        raise RuleError(f"{value!r} is not an amount this dashboard stores")
    return amount


def compiled_pattern(pattern: str):
    """The regular expression, compiled to ignore case and run on accent-free text; RuleError if it is bad."""
    try:
        return regex.compile(strip_accents(pattern), regex.IGNORECASE | regex.V1)
    except (regex.error, ValueError, OverflowError, RecursionError) as error:
        raise RuleError(f"the regular expression {pattern!r} is not valid: {error}") from None
