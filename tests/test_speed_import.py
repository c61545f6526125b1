"""The import's confirm step reads the uploaded file once, and still refuses what the preview refuses; a CSV's
layout is detected from a sample of its rows and checked against the rest."""
import unicodedata
from datetime import date
from decimal import Decimal

import pytest

from dashboard import search
from dashboard.importers import bank_csv, services
from dashboard.importers.records import ImportFileError
from tests import factories
from tests.test_accounts_import import confirm_from, counts, upload
from tests.test_cli_import import QIF_JANUARY


def _counting_parses(monkeypatch) -> list[str]:
    parsed = []
    real_parse = services.parse_file

    def parse_file(data, filename="", *args, **kwargs):
        parsed.append(filename)
        return real_parse(data, filename, *args, **kwargs)

    monkeypatch.setattr(services, "parse_file", parse_file)
    return parsed


def test_confirm_parses_the_file_once(auth_client, db, user, monkeypatch):
    account = factories.create_account(db.session, user)
    preview = upload(auth_client, account, QIF_JANUARY, "january.qif").get_data(as_text=True)
    parsed = _counting_parses(monkeypatch)
    response = confirm_from(auth_client, account, preview)
    assert response.status_code == 302 and "/imports/" in response.headers["Location"]
    assert parsed == ["january.qif"]
    assert counts(db) == (3, Decimal("-27.00"), 1)


def test_confirming_a_file_already_imported_parses_once_and_adds_no_batch(auth_client, db, user, monkeypatch):
    account = factories.create_account(db.session, user)
    preview = upload(auth_client, account, QIF_JANUARY, "january.qif").get_data(as_text=True)
    confirm_from(auth_client, account, preview)
    parsed = _counting_parses(monkeypatch)
    again = confirm_from(auth_client, account, preview)  # a stale or replayed post
    assert again.headers["Location"].endswith(f"/accounts/{account.id}/import") and parsed == ["january.qif"]
    assert "there is nothing to import" in auth_client.get(again.headers["Location"]).get_data(as_text=True)
    assert counts(db) == (3, Decimal("-27.00"), 1)


def _bank_file(lines: list[str], header: str = "Date,Description,Amount") -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


def test_layout_from_a_sample_is_checked_against_the_rest_of_the_rows():
    """The first 250 dates read both day-first and month-first; row 280's 25/03 settles it, with no question."""
    lines = [f"{day % 12 + 1:02d}/03/2024,Shop {day},-{day}.50" for day in range(279)]
    lines += ["25/03/2024,Late shop,-9.99"] + [f"01/04/2024,Shop {n},-1.00" for n in range(20)]
    parsed = bank_csv.parse(_bank_file(lines))
    assert parsed.details["date_format"] == "DD/MM/YYYY"
    assert parsed.transactions[279].date == date(2024, 3, 25) and parsed.transactions[0].date == date(2024, 3, 1)
    assert len(parsed.transactions) == 300


def test_decimal_separator_unseen_in_the_sample_comes_from_the_rest():
    """Whole amounts in the sample say nothing; a later "-1,50" in a semicolon file makes the comma decimal."""
    lines = [f"2024-03-{day % 28 + 1:02d};Shop {day};-{day}" for day in range(250)] + ["2024-04-01;Late;-1,50"]
    parsed = bank_csv.parse(_bank_file(lines, "Date;Description;Amount"))
    assert parsed.details["decimal_separator"] == "comma" and parsed.details["delimiter"] == "semicolon"
    assert parsed.transactions[-1].amount == Decimal("-1.50")
    assert sum(t.amount for t in parsed.transactions) == -sum(range(250)) - Decimal("1.50")


def test_a_bad_date_beyond_the_sample_is_refused_with_its_line():
    lines = [f"2024-03-{day % 28 + 1:02d},Shop {day},-1.00" for day in range(300)] + ["2024-13-45,Bad,-1.00"]
    with pytest.raises(ImportFileError) as refused:
        bank_csv.parse(_bank_file(lines))
    assert refused.value.line == 302 and "2024-13-45" in refused.value.reason


@pytest.mark.parametrize("text", ["Tesco Store 42", "TESCO\tstore", "Café Nero", "ﬁsh ＡＢＣ", "Straße", "İstanbul"])
def test_ascii_fast_paths_fold_as_unicode_normalisation_does(text):
    """Search text and identities skip NFKC/NFKD for ASCII text: the result must be the one normalisation gives."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    assert search.folded_text(text) == folded
    assert search.search_text(text) == unicodedata.normalize(
        "NFKC", "".join(c for c in decomposed if not unicodedata.combining(c)))
