"""Keyset cursors: what goes into a URL comes back out, and anything else means the first page."""
from datetime import date
from decimal import Decimal

import pytest

from dashboard.accounts.transaction_queries import KEY_PARSERS, page_position
from dashboard.paging import Position, decode_key, encode_key


@pytest.mark.parametrize("value, parse", [(date(2024, 2, 29), date.fromisoformat), (Decimal("-12.5"), Decimal),
                                          ("Caf\u00e9: 2 for 1", str)])
def test_a_key_reads_back_as_it_was_written(value, parse):
    assert decode_key(encode_key(value, 42), parse) == (value, 42)


@pytest.mark.parametrize("text", [None, "", "42", "x:2024-01-01", "42:not-a-date", "0:2024-01-01",
                                  f"{2 ** 63}:2024-01-01", "-1:2024-01-01"])
def test_a_malformed_date_key_is_none(text):
    assert decode_key(text, date.fromisoformat) is None


@pytest.mark.parametrize("sort, value", [("amount", "NaN"), ("amount", "1e20"), ("amount", "0.00001"),
                                         ("amount", "ten"), ("description", "a\x00b")])
def test_the_transaction_parsers_refuse_what_no_column_holds(sort, value):
    assert decode_key(f"7:{value}", KEY_PARSERS[sort]) is None


def test_page_position_reads_the_cursors_in_the_sort_columns_kind():
    assert page_position("7:-3.25", None, False, "amount") == Position(after=(Decimal("-3.25"), 7))
    assert page_position(None, "8:2024-01-31", False, "date") == Position(before=(date(2024, 1, 31), 8))
    assert page_position("7:2024-01-31", None, True, "amount") == Position(last=True)
