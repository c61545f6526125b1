"""The import pages: choose a file, preview (which writes nothing), map columns, confirm, result, undo."""
from __future__ import annotations

import io
import os
import re
from decimal import Decimal
from html import unescape

import pytest
from sqlalchemy import func, select

from dashboard.access import Scope
from dashboard.accounts.upload_token import UploadSigner
from dashboard.audit import Actor
from dashboard.importers.batches import import_parsed
from dashboard.importers.detect import parse_file
from dashboard.ledger import verify_totals
from dashboard.models import Account, AuditEvent, ImportBatch, Transaction
from tests import factories
from tests.test_cli_import import QIF_JANUARY, QIF_JANUARY_AND_MORE
from tests.test_importers_real_files import REAL as REAL_FILES

CSRF = {"WTF_CSRF_ENABLED": True}


def hidden_fields(html: str, form_action: str | None = None) -> dict[str, str]:
    """The hidden inputs of the page's form (the one posting to ``form_action`` when given)."""
    if form_action:
        html = html[html.index(f'action="{form_action}"'):]
        html = html[:html.index("</form>")]
    fields = re.findall(r'<input[^>]*name="([^"]+)" type="hidden" value="([^"]*)"', html)
    return {name: unescape(value) for name, value in fields}


def log_in_with_csrf(client, user) -> None:
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD,
                                           **hidden_fields(page)})
    assert response.status_code == 302


def upload(client, account, data: bytes, filename: str, file_format: str = "auto", **extra):
    return client.post(f"/accounts/{account.id}/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), filename), "format": file_format, **extra})


def counts(db) -> tuple[int, Decimal, int]:
    rows, total = db.session.execute(select(func.count(), func.coalesce(func.sum(Transaction.amount), 0))).one()
    return rows, Decimal(total), db.session.scalar(select(func.count()).select_from(ImportBatch))


def sign_upload(app, data: bytes, filename: str, owner_id: int, account_id: int) -> str:
    return UploadSigner.of_app(app).sign(data, filename, owner_id, account_id)


def confirm_from(client, account, preview_html: str, **overrides):
    action = f"/accounts/{account.id}/import/confirm"
    return client.post(action, data={**hidden_fields(preview_html, action), **overrides})


@pytest.mark.parametrize("app_config", [CSRF])
def test_choose_preview_confirm_and_see_the_result_with_csrf(client, db, user, app_config):
    account = factories.create_account(db.session, user, "Everyday")
    log_in_with_csrf(client, user)
    form_page = client.get(f"/accounts/{account.id}/import").get_data(as_text=True)
    assert 'name="csrf_token"' in form_page and "Statement file" in form_page

    preview = upload(client, account, QIF_JANUARY, "january.qif", **hidden_fields(form_page))
    html = preview.get_data(as_text=True)

    assert preview.status_code == 200
    assert "3 transactions read" in html and "<strong>3 new</strong>, 0 already imported" in html
    assert re.search(r"Format</dt><dd[^>]*>QIF<", html)
    assert "Coffee" in html and "Books" in html and "-£20.00" in html
    assert counts(db) == (0, Decimal(0), 0)  # the preview wrote nothing

    done = confirm_from(client, account, html)
    assert done.status_code == 302
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert re.search(r"Inserted</dt><dd[^>]*>3<", result)
    assert counts(db) == (3, Decimal("-27.00"), 1)
    assert verify_totals(db.session) == []


@pytest.mark.parametrize("app_config", [CSRF])
def test_every_step_refuses_a_post_without_the_csrf_token(app, client, db, user, app_config):
    account = factories.create_account(db.session, user)
    log_in_with_csrf(client, user)
    assert upload(client, account, QIF_JANUARY, "january.qif").status_code == 400
    token = sign_upload(app, QIF_JANUARY, "january.qif", user.id, account.id)
    assert client.post(f"/accounts/{account.id}/import/confirm",
                       data={"upload": token, "format": "auto"}).status_code == 400
    assert client.post(f"/accounts/{account.id}/import/mapping",
                       data={"upload": token, "format": "auto"}).status_code == 400
    assert counts(db) == (0, Decimal(0), 0)


def test_preview_counts_duplicates_of_an_overlapping_file(auth_client, db, user):
    account = factories.create_account(db.session, user, currency="USD")  # its dates all read both ways: month first
    import_parsed(db.session, Scope.of_user(user.id), Actor(user.id), account, parse_file(QIF_JANUARY), "january.qif",
                  QIF_JANUARY)
    db.session.commit()

    html = upload(auth_client, account, QIF_JANUARY_AND_MORE, "later.qif").get_data(as_text=True)
    assert "<strong>1 new</strong>, 3 already imported" in html
    assert html.count(">duplicate<") == 3 and html.count(">new<") == 1

    result = auth_client.get(confirm_from(auth_client, account, html).headers["Location"]).get_data(as_text=True)
    assert re.search(r"Duplicates skipped</dt><dd[^>]*>3<", result)
    assert counts(db)[:2] == (4, Decimal("973.00"))


def test_the_same_file_again_is_flagged_and_adds_nothing(auth_client, db, user):
    account = factories.create_account(db.session, user)
    first = upload(auth_client, account, QIF_JANUARY, "january.qif").get_data(as_text=True)
    confirm_from(auth_client, account, first)
    again = upload(auth_client, account, QIF_JANUARY, "january.qif").get_data(as_text=True)
    assert "This exact file was imported" in again and "<strong>0 new</strong>" in again
    assert "already imported; there is nothing to import" in again and ">Import 0 new" not in again
    confirm_from(auth_client, account, again)  # a stale or forged post: still no empty batch (issue 11)
    assert counts(db) == (3, Decimal("-27.00"), 1)


def test_a_bad_file_shows_the_reason_and_line_and_writes_nothing(auth_client, db, user):
    account = factories.create_account(db.session, user)
    response = upload(auth_client, account, QIF_JANUARY.replace(b"D01/06/2025", b"D13/45/2025"), "broken.qif")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "broken.qif was not imported (line 10)" in html and "Nothing was changed" in html
    assert counts(db) == (0, Decimal(0), 0)


def test_no_file_chosen_is_a_form_error(auth_client, db, user):
    account = factories.create_account(db.session, user)
    response = auth_client.post(f"/accounts/{account.id}/import", data={"format": "auto"})
    assert response.status_code == 400 and "Choose a file to import." in response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 2048}])
def test_an_over_size_upload_gets_the_413_page(auth_client, db, user, app_config):
    account = factories.create_account(db.session, user)
    response = upload(auth_client, account, QIF_JANUARY * 40, "huge.qif")
    assert response.status_code == 413
    assert "File too large" in response.get_data(as_text=True)
    assert counts(db) == (0, Decimal(0), 0)


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 8192}])
def test_confirm_accepts_the_encoded_copy_of_a_file_that_fitted(app, auth_client, db, user, app_config):
    account = factories.create_account(db.session, user)
    data = os.urandom(8000)  # incompressible: its base64 is larger than the upload limit
    with app.test_request_context():
        token = sign_upload(app, data, "noise.csv", user.id, account.id)
    assert len(token) > 8192
    response = auth_client.post(f"/accounts/{account.id}/import/confirm", data={"upload": token, "format": "auto"})
    assert response.status_code == 400  # read, and refused as a file, not as a request too large
    assert "noise.csv was not imported" in response.get_data(as_text=True)
    assert counts(db) == (0, Decimal(0), 0)


def test_a_tampered_or_foreign_upload_is_refused(auth_client, app, db, user):
    account = factories.create_account(db.session, user)
    other = factories.create_account(db.session, user, "Savings")
    with app.test_request_context():
        token = sign_upload(app, QIF_JANUARY, "january.qif", user.id, other.id)
    for sent in (token, token[:-3] + "abc"):
        response = auth_client.post(f"/accounts/{account.id}/import/confirm", data={"upload": sent, "format": "auto"})
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/accounts/{account.id}/import")
    assert counts(db) == (0, Decimal(0), 0)


def test_another_users_account_is_not_found(auth_client, db):
    mallory = factories.create_user(db.session, "mallory@example.com")
    theirs = factories.create_account(db.session, mallory)
    assert auth_client.get(f"/accounts/{theirs.id}/import").status_code == 404
    assert upload(auth_client, theirs, QIF_JANUARY, "january.qif").status_code == 404
    assert auth_client.get(f"/accounts/{theirs.id}/imports").status_code == 404


def test_an_ambiguous_csv_asks_for_columns_and_remembers_them(auth_client, db, user, bank_exports):
    account = factories.create_account(db.session, user, "Venmo", currency="USD")
    data = (bank_exports / "csv" / "multi-line-field.csv").read_bytes()

    asked = upload(auth_client, account, data, "venmo.csv").get_data(as_text=True)
    assert "Which column is what in venmo.csv?" in asked and "Lyft, Inc" in asked
    action = f"/accounts/{account.id}/import/mapping"
    carried = hidden_fields(asked, action)

    refused = auth_client.post(action, data={**carried, "date_column": "2", "date_format": "ISO 8601 date-time",
                                             "decimal_separator": "."})
    assert refused.status_code == 400 and "amount column" in refused.get_data(as_text=True)
    assert counts(db) == (0, Decimal(0), 0)

    preview = auth_client.post(action, data={
        **carried, "date_column": "2", "date_format": "ISO 8601 date-time", "description_columns": ["3", "7"],
        "amount_column": "8", "debit_column": "", "credit_column": "", "decimal_separator": ".",
    }).get_data(as_text=True)
    assert "<strong>1 new</strong>" in preview and "Lyft, Inc" in preview
    assert counts(db) == (0, Decimal(0), 0)
    assert confirm_from(auth_client, account, preview).status_code == 302
    db.session.refresh(account)
    assert account.csv_mapping["amount_column"] == 8
    assert counts(db)[:2] == (1, Decimal("-21.59"))

    # Next time the remembered columns read the file straight to the preview.
    again = upload(auth_client, account, data, "venmo.csv").get_data(as_text=True)
    assert "<strong>0 new</strong>, 1 already imported" in again


def test_a_file_with_several_accounts_shows_them_before_import(auth_client, db, user, bank_exports):
    account = factories.create_account(db.session, user, "Business", currency="CAD")
    data = (bank_exports / "ofx1-sgml" / "example.qbo").read_bytes()
    html = upload(auth_client, account, data, "example.qbo").get_data(as_text=True)
    assert "23 transactions read" in html
    assert "Business ···9041 <span class=\"badge text-bg-info\">new account</span>" in html
    assert db.session.scalar(select(func.count()).select_from(Account)) == 1
    confirm_from(auth_client, account, html)
    assert db.session.scalar(select(func.count()).select_from(Account)) == 3


def test_undo_from_the_imports_page(auth_client, db, user):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2024-12-31", "-9.99", "Typed in by hand")])
    confirm_from(auth_client, account, upload(auth_client, account, QIF_JANUARY, "january.qif").get_data(as_text=True))
    batch = db.session.scalars(select(ImportBatch)).one()

    listing = auth_client.get(f"/accounts/{account.id}/imports").get_data(as_text=True)
    assert "january.qif" in listing and f"/imports/{batch.id}/undo" in listing
    ask = auth_client.get(f"/accounts/{account.id}/imports/{batch.id}/undo").get_data(as_text=True)
    assert "removes the 3 transactions" in ask and "<form method=\"post\">" in ask
    assert counts(db)[0] == 4  # asking changes nothing

    done = auth_client.post(f"/accounts/{account.id}/imports/{batch.id}/undo")
    assert done.status_code == 302
    listing = auth_client.get(done.headers["Location"]).get_data(as_text=True)
    assert "removed 3 transactions" in listing and "undone" in listing
    assert counts(db)[:2] == (1, Decimal("-9.99"))
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "import.undo")) == 1
    assert verify_totals(db.session) == []

    again = auth_client.post(f"/accounts/{account.id}/imports/{batch.id}/undo", follow_redirects=True)
    assert "undone already" in again.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [CSRF])
def test_undo_needs_the_csrf_token(client, db, user, app_config):
    account = factories.create_account(db.session, user)
    import_parsed(db.session, Scope.of_user(user.id), Actor(user.id), account, parse_file(QIF_JANUARY), "january.qif",
                  QIF_JANUARY)
    db.session.commit()
    batch = db.session.scalars(select(ImportBatch)).one()
    log_in_with_csrf(client, user)
    assert client.post(f"/accounts/{account.id}/imports/{batch.id}/undo").status_code == 400
    assert counts(db)[0] == 3
    page = client.get(f"/accounts/{account.id}/imports/{batch.id}/undo").get_data(as_text=True)
    assert client.post(f"/accounts/{account.id}/imports/{batch.id}/undo", data=hidden_fields(page)).status_code == 302
    assert counts(db)[0] == 0


def test_a_batch_of_another_account_is_not_found(auth_client, db, user):
    account = factories.create_account(db.session, user)
    other = factories.create_account(db.session, user, "Savings")
    batch = import_parsed(db.session, Scope.of_user(user.id), Actor(user.id), other, parse_file(QIF_JANUARY),
                          "january.qif", QIF_JANUARY)
    db.session.commit()
    assert auth_client.get(f"/accounts/{account.id}/imports/{batch.id}").status_code == 404
    assert auth_client.post(f"/accounts/{account.id}/imports/{batch.id}/undo").status_code == 404
    assert counts(db)[0] == 3


def test_the_account_page_lists_its_imports_with_undo(auth_client, db, user, bank_exports):
    account = factories.create_account(db.session, user, "Checking", "USD")
    data = (bank_exports / "ofx1-sgml" / "checking.ofx").read_bytes()
    parsed = parse_file(data, "checking.ofx")
    batch = import_parsed(db.session, Scope.of_user(user.id), Actor(user.id), account, parsed, "checking.ofx", data)
    db.session.commit()
    page = auth_client.get(f"/accounts/{account.id}").get_data(as_text=True)
    assert f'href="/accounts/{account.id}/import"' in page
    assert "checking.ofx" in page
    assert f'/accounts/{account.id}/imports/{batch.id}/undo' in page


def test_an_import_id_past_any_row_id_is_404_not_500(auth_client, db, user):
    account = factories.create_account(db.session, user)
    for path in (f"/accounts/{account.id}/imports/{2 ** 63}", f"/accounts/{account.id}/imports/{2 ** 64}/undo"):
        assert auth_client.get(path).status_code == 404
    assert auth_client.post(f"/accounts/{account.id}/imports/{2 ** 63}/undo").status_code == 404


def test_a_file_in_another_currency_than_the_account_is_flagged(auth_client, db, user, bank_exports):
    pounds = factories.create_account(db.session, user, "Pounds", "GBP")
    dollars = factories.create_account(db.session, user, "Dollars", "USD")
    data = (bank_exports / "ofx1-sgml" / "checking.ofx").read_bytes()
    warned = upload(auth_client, pounds, data, "checking.ofx").get_data(as_text=True)
    assert "The file states USD but Pounds is in GBP" in warned
    matching = upload(auth_client, dollars, data, "checking.ofx").get_data(as_text=True)
    assert "The file states" not in matching


def reread_in_the_other_order(client, account, preview_html: str) -> str:
    """The preview's one-click date-order switch."""
    action = f"/accounts/{account.id}/import/reread"
    return client.post(action, data=hidden_fields(preview_html, action)).get_data(as_text=True)


def imported_dates(db) -> list[str]:
    return [day.isoformat() for day in db.session.scalars(select(Transaction.date).order_by(Transaction.date))]


AMBIGUOUS_CSV = b"Date,Description,Amount\n02/03/2025,Rent,-500.00\n04/05/2025,Salary,2000.00\n"


def test_ambiguous_dates_follow_the_users_setting_and_switch_in_one_click(auth_client, db, user):
    account = factories.create_account(db.session, user, currency="USD")
    html = upload(auth_client, account, AMBIGUOUS_CSV, "bank.csv", date_order="mdy").get_data(as_text=True)
    db.session.refresh(user)
    assert user.preferences["date_order"] == "mdy"
    assert "read as MM/DD/YYYY" in html and "Read dates day first instead" in html
    assert "Feb 3" in html or "03 Feb" in html or "3 Feb" in html

    switched = reread_in_the_other_order(auth_client, account, html)
    assert "read as DD/MM/YYYY" in switched and "Read dates month first instead" in switched

    confirm_from(auth_client, account, switched)
    assert imported_dates(db) == ["2025-03-02", "2025-05-04"]
    assert account.csv_mapping["date_format"] == "DD/MM/YYYY"  # the account now remembers day-first


AMBIGUOUS_QIF = b"!Type:Bank\nD02/03/2025\nT-500.00\nPRent\n^\nD04/05/2025\nT2000.00\nPSalary\n^\n"


def test_an_ambiguous_qif_follows_the_users_setting_and_switches_in_one_click_too(auth_client, db, user):
    account = factories.create_account(db.session, user, currency="GBP")
    html = upload(auth_client, account, AMBIGUOUS_QIF, "bank.qif", date_order="dmy").get_data(as_text=True)
    assert "read as day/month" in html and "Read dates month first instead" in html

    switched = reread_in_the_other_order(auth_client, account, html)
    assert "read as month/day" in switched and "Read dates day first instead" in switched

    confirm_from(auth_client, account, switched)
    assert imported_dates(db) == ["2025-02-03", "2025-04-05"]


def test_a_file_in_another_currency_is_refused_with_a_choice(auth_client, db, user):
    account = factories.create_account(db.session, user, currency="GBP")
    data = (REAL_FILES / "camt" / "genkgo-camt054.v2.xml").read_bytes()
    html = unescape(upload(auth_client, account, data, "notification.xml").get_data(as_text=True))
    assert "The file states SEK but Checking is in GBP" in html
    assert "Import it into an account in SEK" in html and "create one" in html and ">Import 1 new" not in html
    assert 'href="/accounts/new?currency=SEK">create one' in html
    assert 'value="SEK"' in auth_client.get("/accounts/new?currency=SEK").get_data(as_text=True)

    confirm_from(auth_client, account, html)
    assert counts(db) == (0, Decimal(0), 0)


def test_the_upload_form_shows_the_date_order_setting(auth_client, db, user):
    account = factories.create_account(db.session, user)
    user.preferences = {"date_order": "dmy"}
    db.session.commit()
    html = auth_client.get(f"/accounts/{account.id}/import").get_data(as_text=True)
    assert "Date order for ambiguous files" in html
    assert re.search(r'<option selected value="dmy">|<option value="dmy" selected>', html)


def test_the_mapping_form_maps_counterparty_category_note_and_an_indicator(auth_client, db, user):
    account = factories.create_account(db.session, user, currency="EUR")
    data = (b"20240102;Rent;Landlord;Housing;500,00;Af;Jan\n20240103;Pay;Employer;Salary;2000,00;Bij;Feb\n"
            b"20240104;Fee;Bank;Fees;1,00;Af;Mar\n")
    asked = upload(auth_client, account, data, "ing.csv").get_data(as_text=True)
    assert "Which column is what" in asked and "First row is a header" in asked and "pick several" in asked
    assert f'href="/accounts/{account.id}/import">Cancel' in asked
    action = f"/accounts/{account.id}/import/mapping"

    preview = auth_client.post(action, data={
        **hidden_fields(asked, action), "date_column": "0", "date_format": "YYYYMMDD", "description_columns": ["1"],
        "counterparty_column": "2", "category_column": "3", "memo_columns": ["6"], "amount_column": "4",
        "indicator_column": "5", "decimal_separator": ",", "has_header": "0",
    }).get_data(as_text=True)
    assert "<strong>3 new</strong>" in preview
    confirm_from(auth_client, account, preview)

    rows = db.session.execute(select(Transaction.amount, Transaction.counterparty, Transaction.category,
                                     Transaction.note).order_by(Transaction.date)).all()
    assert rows == [(Decimal("-500.00"), "Landlord", "Housing", "Jan"), (Decimal("2000.00"), "Employer", "Salary", "Feb"),
                    (Decimal("-1.00"), "Bank", "Fees", "Mar")]


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 2 * 1024 * 1024}])
def test_the_413_page_states_the_limit_and_leads_back_to_the_import(auth_client, db, user, app_config):
    account = factories.create_account(db.session, user)
    response = upload(auth_client, account, QIF_JANUARY * 40_000, "huge.qif")
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "at most 2 MB" in page
    assert f'href="/accounts/{account.id}/import">Back to the import</a>' in page
