"""The viewer role (a bookkeeper): the organisation-wide reports and their own settings, nothing else."""
from datetime import date

import pytest

from dashboard.api.tokens import create_token
from dashboard.audit import Actor
from dashboard.models.users import Role
from tests import factories

READS = ("/admin/reports/profit-and-loss", "/admin/reports/trial-balance", "/admin/reports/balance-sheet",
         "/settings/sessions", "/settings/two-factor", "/account/password")
# What a viewer may open besides the reports above: signing in and out, probes, files, the API docs.
OPEN_TO_ANYONE = {"auth.login", "auth.login_code", "auth.login_passkey_options", "auth.login_passkey",
                  "auth.logout", "static", "health.healthz", "health.readyz", "health.favicon", "api.docs",
                  "api.health", "api.openapi_json", "teller.webhook"}


@pytest.fixture
def viewer_client(app, db, client):
    viewer = factories.create_user(db.session, "books@example.com", role=Role.VIEWER)
    owner = factories.create_user(db.session, "owner@example.com")
    account = factories.create_account(db.session, owner, name="Business")
    factories.add_rows(db.session, account, [{"date": date(2024, 1, 5), "amount": "-40", "nominal_code": "7500",
                                              "description": "Stationery from Smith"}])
    factories.log_in(client, viewer.email)
    client.viewer = viewer
    return client


@pytest.mark.parametrize("path", READS)
def test_a_viewer_reads_the_organisations_reports_and_their_settings(viewer_client, path):
    assert viewer_client.get(path).status_code == 200


def test_a_viewers_home_is_the_profit_and_loss_and_the_navigation_offers_only_reports(viewer_client):
    response = viewer_client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/reports/profit-and-loss")
    page = viewer_client.get("/admin/reports/profit-and-loss?period=custom&start=2024-01&end=2024-01"
                             ).get_data(as_text=True)
    assert ">Reports<" in page and ">Transactions<" not in page and "API tokens" not in page
    assert "/codes/7500" not in page  # the totals, not the transactions behind them


def test_every_other_route_refuses_a_viewer(app, viewer_client):
    """Walks the url_map: anything that is not a viewer's report, setting or public page answers 403."""
    allowed = {"admin.profit_and_loss", "admin.trial_balance", "admin.balance_sheet", "accounts.overview"}
    allowed |= {"settings.sessions", "settings.two_factor", "settings.two_factor_off", "settings.recovery_codes",
                "settings.end_one_session", "settings.end_others", "settings.passkey_options", "settings.add_passkey",
                "settings.remove_passkey", "auth.change_password"} | OPEN_TO_ANYONE
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in allowed or rule.endpoint.startswith("api."):
            continue
        path = rule.build({name: "1" for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods & {"GET", "POST"}):
            status = viewer_client.open(path, method=method, data={"name": "x", "category": "x"}).status_code
            if status != 403:
                failures.append(f"{method} {path} ({rule.endpoint}) answered {status}")
    assert not failures, "\n".join(failures)


def test_a_viewers_api_token_opens_nothing(db, viewer_client):
    token = create_token(db.session, Actor.system(), viewer_client.viewer, "books").secret
    headers = {"Authorization": f"Bearer {token}"}
    assert viewer_client.get("/api/v1/accounts", headers=headers).status_code == 403
    assert viewer_client.post("/api/v1/accounts", headers=headers,
                              json={"name": "Mine", "currency": "GBP"}).status_code == 403
