"""Running an ordered list of rules over rows: pure, no database, no Flask.

A :class:`Rulebook` is compiled once per import, sync or apply and then asked
about each row. Speed matters (200 rules over a 100,000-row import may add at
most a quarter to its time), so a row is not tried against every rule: every
"contains", "equals" and "starts with" value of every rule goes into one
Aho-Corasick automaton per text field, one pass over a row's folded
description finds all of them, and only the rules whose gate was found (plus
those that have no such gate, such as amount-only rules) are evaluated fully.

Conditions read the row as it arrived; actions apply in rule order, a later
rule's category replacing an earlier one's. A regular expression runs with a
time limit (the ``regex`` package's ``timeout``): one that runs out counts as
no match and is counted in ``Rulebook.timeouts``; after a few, that pattern is given up for the run.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import ahocorasick

from dashboard.models.accounts import TRANSFER_CATEGORY
from dashboard.models.rules import RuleMatch
from dashboard.rules.definitions import (TEXT_FIELDS, ActionKind, Condition, Direction, Field, Op, RuleDefinition,
                                         compiled_pattern)
from dashboard.rules.folding import folded, strip_accents

REGEX_TIMEOUT_SECONDS = 0.05
GATE_OPS = (Op.CONTAINS, Op.EQUALS, Op.STARTS_WITH)  # each implies its value occurs in the field
NOTE_SEPARATOR = "\n"


@dataclass
class Outcome:
    """What the rules do to one row: the columns they change, whether to skip it, which rules matched."""

    changes: dict = field(default_factory=dict)
    skip: bool = False
    matched: list[RuleDefinition] = field(default_factory=list)


class _Row:
    """A row's values as conditions compare them, each computed at most once."""

    __slots__ = ("values", "account_name", "_folded", "_stripped")

    def __init__(self, values: dict, account_name: str):
        self.values, self.account_name = values, account_name
        self._folded: dict[str, str] = {}
        self._stripped: dict[str, str] = {}

    def folded(self, name: str) -> str:
        if name not in self._folded:
            self._folded[name] = folded(self.values.get(name))
        return self._folded[name]

    def stripped(self, name: str) -> str:
        if name not in self._stripped:
            self._stripped[name] = strip_accents(self.values.get(name) or "")
        return self._stripped[name]


class _CompiledRule:
    __slots__ = ("definition", "tests", "any")

    def __init__(self, definition: RuleDefinition, rulebook: Rulebook):
        self.definition = definition
        self.any = definition.match == RuleMatch.ANY
        self.tests = [rulebook.compiled_condition(c) for c in definition.conditions]

    def matches(self, row: _Row) -> bool:
        if self.any:
            return any(test(row) for test in self.tests)
        return all(test(row) for test in self.tests)


class Rulebook:
    """An owner's rules, in order, compiled for many rows."""

    def __init__(self, definitions: Sequence[RuleDefinition]):
        self.timeouts = 0
        self.rules = [_CompiledRule(d, self) for d in definitions]
        self._ungated: list[int] = []
        self._gated: dict[Field, dict[str, list[int]]] = {f: {} for f in TEXT_FIELDS}
        for index, rule in enumerate(self.rules):
            gates = _gates(rule.definition)
            if gates is None:
                self._ungated.append(index)
            for field_name, needle in gates or ():
                self._gated[field_name].setdefault(needle, []).append(index)
        self._automata = {f: _automaton(needles) for f, needles in self._gated.items() if needles}
        self._candidates_cache: dict[tuple, tuple[int, ...]] = {}

    def __bool__(self) -> bool:
        return bool(self.rules)

    def outcome(self, values: dict, account_name: str = "") -> Outcome:
        """What the rules do to a row given as a dict of transaction columns (description, amount, ...)."""
        outcome = Outcome()
        if not self.rules:
            return outcome
        row = _Row(values, account_name)
        note = values.get("note")
        for index in self._candidates(row):
            rule = self.rules[index]
            if not rule.matches(row):
                continue
            outcome.matched.append(rule.definition)
            note = _act(rule.definition, outcome, note)
            if rule.definition.stop:
                break
        return outcome

    def apply(self, values: dict, account_name: str = "") -> bool:
        """Change a row dict in place as the rules say; False when a rule says to skip it."""
        outcome = self.outcome(values, account_name)
        values.update(outcome.changes)
        return not outcome.skip

    def apply_to_rows(self, rows: Iterable[dict], account_name: str = "") -> list[dict]:
        """The rows the rules keep, each changed in place as they say."""
        if not self.rules:
            return list(rows)
        return [row for row in rows if self.apply(row, account_name)]

    def _candidates(self, row: _Row) -> Sequence[int]:
        """The rules worth evaluating on this row, in order: the ungated ones and those whose gate occurs."""
        if not self._automata:
            return self._ungated
        key = tuple(row.folded(f) for f in self._automata)
        cached = self._candidates_cache.get(key)
        if cached is not None:
            return cached
        found = set(self._ungated)
        for field_name, automaton in self._automata.items():
            for _end, needle in automaton.iter(row.folded(field_name)):
                found.update(self._gated[field_name][needle])
        candidates = tuple(sorted(found))
        if len(self._candidates_cache) > 50_000:
            self._candidates_cache.clear()
        self._candidates_cache[key] = candidates
        return candidates

    def compiled_condition(self, condition: Condition):
        """A function of a row that says whether ``condition`` holds."""
        name, op, value = condition.field.value, condition.op, condition.value
        if condition.field in TEXT_FIELDS:
            if op == Op.MATCHES:
                return _PatternTest(compiled_pattern(value), name, self)
            wanted = folded(value)
            if op == Op.CONTAINS:
                return lambda row: wanted in row.folded(name)
            if op == Op.EQUALS:
                return lambda row: row.folded(name).strip() == wanted
            return lambda row: row.folded(name).lstrip().startswith(wanted)
        if condition.field == Field.AMOUNT:
            return _amount_test(op, value)
        if condition.field == Field.DIRECTION:
            money_in = value == Direction.IN
            return lambda row: (Decimal(row.values["amount"]) >= 0) == money_in
        wanted_account = folded(value)
        return lambda row: folded(row.account_name) == wanted_account


class _PatternTest:
    """A regular expression condition; after ``GIVE_UP_AFTER`` time-outs it matches nothing for the rest of the run,
    so one pathological pattern costs a bounded time however many rows there are."""

    GIVE_UP_AFTER = 3
    __slots__ = ("pattern", "name", "rulebook", "timeouts")

    def __init__(self, pattern, name: str, rulebook: Rulebook):
        self.pattern, self.name, self.rulebook, self.timeouts = pattern, name, rulebook, 0

    def __call__(self, row: _Row) -> bool:
        if self.timeouts >= self.GIVE_UP_AFTER:
            return False
        try:
            return self.pattern.search(row.stripped(self.name), timeout=REGEX_TIMEOUT_SECONDS) is not None
        except TimeoutError:
            self.timeouts += 1
            self.rulebook.timeouts += 1
            return False


def _amount_test(op: Op, value):
    if op == Op.EQUALS:
        return lambda row: Decimal(row.values["amount"]) == value
    if op == Op.ABOVE:
        return lambda row: Decimal(row.values["amount"]) > value
    if op == Op.BELOW:
        return lambda row: Decimal(row.values["amount"]) < value
    low, high = value
    return lambda row: low <= Decimal(row.values["amount"]) <= high


def _gates(definition: RuleDefinition) -> list[tuple[Field, str]] | None:
    """Text values of which one must occur for the rule to match; None when no such set exists."""
    gateable = [(c.field, _gate_text(c)) for c in definition.conditions if _gate_text(c)]
    if definition.match == RuleMatch.ALL:
        return gateable[:1] or None
    return gateable if len(gateable) == len(definition.conditions) else None


def _gate_text(condition: Condition) -> str | None:
    """Folded text that a row's field must contain for ``condition`` to hold, when there is such text."""
    if condition.field not in TEXT_FIELDS:
        return None
    if condition.op in GATE_OPS:
        return folded(condition.value) or None
    return required_literal(strip_accents(condition.value))


REGEX_SPECIAL = set(".^$*+?{}[]()|\\")
OPTIONAL_QUANTIFIERS = ("?", "*", "{")
MIN_LITERAL = 3


def required_literal(pattern: str) -> str | None:
    """The longest run of plain ASCII characters every match of ``pattern`` must contain (folded), or None.

    Conservative: a pattern with alternation, inline flags or groups gives only the literals outside its
    groups and classes; a character a quantifier makes optional is left out. So the regular expression runs
    only on rows that contain the literal, and 200 rules' patterns do not each run on every row.
    """
    if "|" in pattern or "(?" in pattern:
        return None
    runs, run, depth, index = [], "", 0, 0
    while index < len(pattern):
        char = pattern[index]
        following = pattern[index + 1] if index + 1 < len(pattern) else ""
        if char == "[":
            runs.append(run)
            run = ""
            index = _class_end(pattern, index)
        elif char == "\\":
            if following.isalnum() or not following:
                runs.append(run)
                run = ""
            elif depth == 0:
                run += following
            index += 2
            continue
        elif char == "(":
            depth += 1
            runs.append(run)
            run = ""
        elif char == ")":
            depth -= 1
        elif char in OPTIONAL_QUANTIFIERS:
            run = run[:-1]
            runs.append(run)
            run = ""
            if char == "{":
                closing = pattern.find("}", index)
                index = closing if closing != -1 else len(pattern)
        elif char in REGEX_SPECIAL:
            runs.append(run)
            run = ""
        elif depth == 0 and char.isascii():
            run += char
        else:
            runs.append(run)
            run = ""
        index += 1
    runs.append(run)
    longest = max(runs, key=len)
    return longest.casefold() if len(longest) >= MIN_LITERAL else None


def _class_end(pattern: str, start: int) -> int:
    """The index of the "]" that closes the character class opening at ``start``."""
    index = start + 1
    if index < len(pattern) and pattern[index] == "^":
        index += 1
    if index < len(pattern) and pattern[index] == "]":
        index += 1
    while index < len(pattern) and pattern[index] != "]":
        index += 2 if pattern[index] == "\\" else 1
    return index


def _automaton(needles: Iterable[str]):
    automaton = ahocorasick.Automaton()
    for needle in needles:
        automaton.add_word(needle, needle)
    automaton.make_automaton()
    return automaton


def _act(definition: RuleDefinition, outcome: Outcome, note: str | None) -> str | None:
    """Record one matched rule's actions on the outcome; returns the note as it now reads."""
    for action in definition.actions:
        if action.action == ActionKind.SET_CATEGORY:
            outcome.changes["category"] = action.value
        elif action.action == ActionKind.SET_COUNTERPARTY:
            outcome.changes["counterparty"] = action.value
        elif action.action == ActionKind.MARK_TRANSFER:
            outcome.changes["category"] = TRANSFER_CATEGORY
        elif action.action == ActionKind.SKIP:
            outcome.skip = True
        elif action.action == ActionKind.APPEND_NOTE and action.value not in (note or ""):
            # Appending what the note already says adds nothing, so applying a rule twice changes nothing.
            note = f"{note}{NOTE_SEPARATOR}{action.value}" if note else action.value
            outcome.changes["note"] = note
    return note
