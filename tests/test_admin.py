"""Admin pages: installation figures and organisation-wide reports; 403 for everyone else."""
from __future__ import annotations

import re
from datetime import date

import pytest

from dashboard.access import Scope
from dashboard.admin.queries import installation_figures
from tests import factories

ADMIN_PAGES = ["/admin/", "/admin/reports/income-and-expenses", "/admin/reports/categories",
               "/admin/reports/profit-and-loss", "/admin/reports/balances",
               "/admin/reports/profit-and-loss/codes/4000?currency=GBP"]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_signed_in_users_who_are_not_admins_get_403_without_redirect(auth_client, url):
    response = auth_client.get(url)
    assert response.status_code == 403
    assert "Location" not in response.headers


@pytest.mark.parametrize("url", ADMIN_PAGES[:2])
def test_anonymous_visitors_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.fixture
def admin_client(client, admin):
    factories.log_in(client, admin.email)
    return client


def test_admin_sees_installation_figures_and_the_nav_link(admin_client, admin, user, db):
    account = factories.create_account(db.session, user, "Current", "GBP")
    factories.add_rows(db.session, account, [{"date": date(2025, 1, 2), "amount": "-1"},
                                             {"date": date(2025, 2, 2), "amount": "3"}])
    html = admin_client.get("/").get_data(as_text=True)
    assert 'href="/admin/"' in html
    html = admin_client.get("/admin/").get_data(as_text=True)
    figures = {label: value for label, value in
               re.findall(r'<th scope="row">([^<]+)</th><td class="text-end">([^<]+)</td>', html)}
    assert figures["Users"] == "2" and figures["Accounts"] == "1" and figures["Transactions"] == "2"
    assert figures["Imports"] == "0" and figures["Last import"] == "—"
    assert "Failed logins" in figures and "stands in" not in html


def test_organisation_reports_cover_every_user(admin_client, admin, user, db):
    for owner, amount in ((user, "-10.00"), (admin, "-2.50")):
        account = factories.create_account(db.session, owner, "Current", "GBP")
        factories.add_rows(db.session, account, [{"date": date(2025, 1, 2), "amount": amount, "category": "Food"}])
    args = {"period": "custom", "start": "2025-01", "end": "2025-01"}
    html = admin_client.get("/admin/reports/categories", query_string=args).get_data(as_text=True)
    assert "£12.50" in html and "all users" in html
    own = admin_client.get("/reports/categories", query_string=args).get_data(as_text=True)
    assert "£2.50" in own and "£12.50" not in own
    csv_text = admin_client.get("/admin/reports/income-and-expenses",
                                query_string={**args, "format": "csv"}).get_data(as_text=True)
    assert "GBP,2025-01,0.00,12.50,-12.50,-12.50" in csv_text


def test_installation_figures_count_what_the_scope_sees(db, admin, user):
    for owner, rows in ((user, 2), (admin, 1)):
        account = factories.create_account(db.session, owner, "Current", "GBP")
        factories.add_rows(db.session, account, [{"date": date(2025, 1, 1 + n), "amount": "-1"} for n in range(rows)])
    everyone = installation_figures(db.session, Scope.organisation())
    assert (everyone.users, everyone.accounts, everyone.transactions) == (2, 2, 3)
    own = installation_figures(db.session, Scope.of_user(user.id))
    assert (own.accounts, own.transactions) == (1, 2)
