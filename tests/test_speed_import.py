"""The import's confirm step reads the uploaded file once, and still refuses what the preview refuses."""
from decimal import Decimal

from dashboard.importers import services
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
