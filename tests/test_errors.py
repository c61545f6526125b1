"""Error pages: in the layout, never a traceback, JSON for clients that ask."""
import pytest
from sqlalchemy.exc import OperationalError

from dashboard.extensions import db


def test_404_page_is_in_the_layout(client):
    response = client.get("/no/such/page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Page not found" in page and "bootstrap.min.css" in page


def test_json_clients_get_json_errors(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["status"] == 404


def test_an_unexpected_error_shows_the_500_page_without_a_traceback(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert "secret internals" not in page and "Traceback" not in page


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 10}])
def test_an_oversize_request_gets_the_413_page(client, app_config):
    response = client.post("/login", data={"email": "x" * 100, "password": "y"})
    assert response.status_code == 413
    assert "File too large" in response.get_data(as_text=True)


def test_a_dead_database_gives_503_pages_and_readyz(app, auth_client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", refuse)
    monkeypatch.setattr(db.session, "scalars", refuse)
    monkeypatch.setattr(db.session, "scalar", refuse)
    response = auth_client.get("/")
    assert response.status_code == 503
    assert "Service unavailable" in response.get_data(as_text=True)


def test_readyz_is_503_with_a_reason_when_the_database_is_dead():
    from dashboard import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:1/none", "TESTING": True})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["reason"]
    assert app.test_client().get("/healthz").status_code == 200
