"""Every ``next`` goes through dashboard.redirects.local_url: never another site, in any spelling."""
import pytest
from sqlalchemy import select

from dashboard.models import Transaction
from dashboard.redirects import local_url
from tests import factories

HOSTILE = [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example", "https:evil.example",
    "javascript:alert(1)", "/%5Cevil.example", "/%5cevil.example", "%2F%2Fevil.example", "/%2F/evil.example",
    "/%252F%252Fevil.example", "/\tevil", "/\nevil", "/\r\nSet-Cookie:x=1", "/%0d%0aSet-Cookie:x=1", "/\x00",
    "/%09/evil.example", "evil.example", "", "/" + "a" * 3000,
]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_next_values_are_refused(target):
    assert local_url(target) is None


@pytest.mark.parametrize("target", ["/", "/accounts/1", "/transactions?q=coffee&after=3", "/reports/?month=2024-01"])
def test_paths_on_this_site_are_kept(target):
    assert local_url(target) == target


@pytest.mark.parametrize("target", HOSTILE)
def test_login_never_redirects_off_site(client, user, target):
    response = client.post("/login", query_string={"next": target},
                           data={"email": user.email, "password": factories.PASSWORD})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE)
def test_transaction_edit_neither_links_nor_redirects_off_site(auth_client, db, user, target):
    account = factories.create_account(db.session, user)
    factories.add_transactions(db.session, account, [("2024-01-01", "-5", "A", "Old")])
    row_id = db.session.scalar(select(Transaction.id))
    page = auth_client.get(f"/transactions/{row_id}", query_string={"next": target}).get_data(as_text=True)
    assert "evil" not in page
    response = auth_client.post(f"/transactions/{row_id}", query_string={"next": target}, data={"category": "New"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/accounts/{account.id}"


@pytest.mark.parametrize("target", HOSTILE)
def test_bulk_categorise_stays_on_site(auth_client, target):
    response = auth_client.post("/transactions/categorise", data={"next": target, "category": "X"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/transactions"
