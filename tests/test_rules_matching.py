"""Rules matched against rows without a database: conditions, order, stop, actions, regex limits."""
from decimal import Decimal

import pytest

from dashboard.rules.definitions import RuleError, rule_from_json
from dashboard.rules.matching import Rulebook, required_literal


def rule(name="R", conditions=None, actions=None, **extra):
    return rule_from_json({"name": name, "conditions": conditions or [
        {"field": "description", "op": "contains", "value": "coffee"}],
        "actions": actions or [{"action": "set_category", "value": "Eating out"}], **extra})


def row(description="", amount="-3.50", **values):
    return {"description": description, "amount": Decimal(amount), **values}


def test_design_example_matches_case_and_accent_insensitively():
    book = Rulebook([rule_from_json({
        "name": "Coffee shops", "match": "all", "stop": True,
        "conditions": [{"field": "description", "op": "contains", "value": "coffee"},
                       {"field": "amount", "op": "between", "value": ["-20", "0"]}],
        "actions": [{"action": "set_category", "value": "Eating out"}]})])
    assert book.outcome(row("CAFÉ COFFEE Ltd", "-4.20")).changes == {"category": "Eating out"}
    assert book.outcome(row("Coffee beans wholesale", "-45.00")).changes == {}
    assert book.outcome(row("Tea room", "-4.20")).changes == {}
    accented = Rulebook([rule(conditions=[{"field": "description", "op": "contains", "value": "café"}])])
    assert accented.outcome(row("CAFE NERO")).changes == {"category": "Eating out"}


@pytest.mark.parametrize("op, value, description, matched", [
    ("equals", "tesco", "  TESCO ", True), ("equals", "tesco", "Tesco Metro", False),
    ("starts_with", "tfl", "TFL TRAVEL", True), ("starts_with", "travel", "TFL TRAVEL", False),
    ("matches", r"^amzn\s+mktp", "AMZN  Mktp UK", True), ("matches", r"\d{4}$", "Shop 12", False),
    ("matches", "crème", "CREME BRULEE", True),
])
def test_text_operations(op, value, description, matched):
    book = Rulebook([rule(conditions=[{"field": "description", "op": op, "value": value}])])
    assert bool(book.outcome(row(description)).matched) is matched


def test_amount_account_direction_and_any():
    book = Rulebook([rule(match="any", conditions=[
        {"field": "amount", "op": "above", "value": "1000"},
        {"field": "account", "op": "is", "value": "savings"}], actions=[{"action": "mark_transfer"}])])
    assert book.outcome(row("x", "1500")).changes == {"category": "Transfers"}
    assert book.outcome(row("x", "10"), "Savings").changes == {"category": "Transfers"}
    assert book.outcome(row("x", "10"), "Checking").changes == {}
    money_in = Rulebook([rule(conditions=[{"field": "direction", "op": "is", "value": "in"}])])
    assert money_in.outcome(row("x", "5")).matched and not money_in.outcome(row("x", "-5")).matched


def test_order_stop_and_every_match():
    first = rule("first", actions=[{"action": "set_category", "value": "A"},
                                   {"action": "append_note", "value": "seen"}], stop=False)
    second = rule("second", conditions=[{"field": "amount", "op": "below", "value": "0"}],
                  actions=[{"action": "set_category", "value": "B"},
                           {"action": "set_counterparty", "value": "Costa"}])
    third = rule("third", actions=[{"action": "set_category", "value": "C"}])
    outcome = Rulebook([first, second, third]).outcome(row("coffee"))
    assert [r.name for r in outcome.matched] == ["first", "second"]  # second stops, third never tried
    assert outcome.changes == {"category": "B", "note": "seen", "counterparty": "Costa"}


def test_append_note_is_not_repeated_and_skip_drops_the_row():
    book = Rulebook([rule(actions=[{"action": "append_note", "value": "work"}, {"action": "skip"}])])
    assert book.outcome(row("coffee", note="paid\nwork")).changes == {}
    rows = [row("coffee"), row("bread")]
    assert [r["description"] for r in book.apply_to_rows(rows)] == ["bread"]


@pytest.mark.parametrize("data, message", [
    ({"name": "x", "conditions": [], "actions": [{"action": "skip"}]}, "at least one condition"),
    ({"name": "x", "conditions": [{"field": "description", "op": "matches", "value": "(unclosed"}],
      "actions": [{"action": "skip"}]}, "not valid"),
    ({"name": "x", "conditions": [{"field": "amount", "op": "contains", "value": "1"}],
      "actions": [{"action": "skip"}]}, "amount takes"),
    ({"name": "x", "conditions": [{"field": "amount", "op": "between", "value": ["a", "1"]}],
      "actions": [{"action": "skip"}]}, "not an amount"),
    ({"name": "x", "conditions": [{"field": "amount", "op": "above", "value": "1e1000000"}],
      "actions": [{"action": "skip"}]}, "not an amount this dashboard stores"),
    ({"name": "x", "conditions": [{"field": "description", "op": "contains", "value": "a"}],
      "actions": [{"action": "set_category"}]}, "must be some text"),
    ({"name": "", "conditions": [], "actions": []}, "the name"),
])
def test_invalid_rules_are_refused_with_a_reason(data, message):
    with pytest.raises(RuleError, match=message):
        rule_from_json(data)


def test_catastrophic_regex_is_cut_off_in_time():
    import time
    book = Rulebook([rule(conditions=[{"field": "description", "op": "matches", "value": r"^(a|a)+$"}])])
    started = time.perf_counter()
    assert not any(book.outcome(row("a" * 40 + "!")).matched for _ in range(1000))
    assert time.perf_counter() - started < 3  # unbounded, each row would take years
    assert book.timeouts == 3


def test_many_rules_find_the_right_one():
    rules = [rule(f"shop {n}", conditions=[{"field": "description", "op": "contains", "value": f"shop-{n:03d}"}],
                  actions=[{"action": "set_category", "value": f"C{n}"}]) for n in range(200)]
    book = Rulebook(rules)
    assert book.outcome(row("SHOP-017 LONDON")).changes == {"category": "C17"}
    assert book.outcome(row("nothing")).changes == {}


@pytest.mark.parametrize("pattern, literal", [
    (r"^merchant019\s+\d{2,4}$", "merchant019"), (r"(abc)?defg", "defg"), (r"colou?r", "colo"),
    (r"a{0,3}bcd", "bcd"), (r"tesco\.com", "tesco.com"), (r"foo|bar", None), (r"\d+", None), (r"(?i)abcdef", None),
])
def test_the_literal_a_pattern_requires(pattern, literal):
    assert required_literal(pattern) == literal


def test_a_gated_regular_expression_still_matches_like_an_ungated_one():
    book = Rulebook([rule(conditions=[{"field": "description", "op": "matches", "value": r"^card\s+\d{4}$"}])])
    assert book.outcome(row("CARD  1234")).matched
    assert not book.outcome(row("CARD 12")).matched and not book.outcome(row("nothing")).matched
