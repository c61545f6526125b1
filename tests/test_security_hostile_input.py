"""Bad input anywhere gets a 4xx or the page, never a 500.

Generated, not listed: every route of ``app.url_map`` (so a new route is covered as soon as it exists), every
field name of every WTForms class the app defines, and the query arguments the views read themselves.
"""
from __future__ import annotations

import importlib
import io
import re
from html import unescape
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import Form

from dashboard.api.tokens import create_token
from dashboard.audit import Actor
from dashboard.models import Transaction
from dashboard.models.users import Role
from tests import factories

HOSTILE = [
    "x" * 5000, "\x00", "a\x00b", "abc", "-1", "0", "1e1000000", "-1e1000000", "NaN", "-Infinity",
    "99999999999999999999", "0.00001", "2024-02-30", "9999-99-99", "0000-01-01", "[]", "{}", '{"date": []}',
    "1:1e99999999", "1e99999999:1", "2024-01-01:99999999999999999999999", "::", "%00", "\u202egnp.exe", "no-such-choice",
    "<script>alert(1)</script>",
]
# Read by views from request.args directly, not through a form.
VIEW_ARGUMENTS = {"after", "before", "last", "next", "format", "currency", "period", "start", "end", "step"}
SOURCE = Path(__file__).resolve().parents[1] / "dashboard"


def _form_classes(base):
    for cls in base.__subclasses__():
        yield cls
        yield from _form_classes(cls)


def field_names() -> set[str]:
    """Every field of every form class the app defines (FlaskForm and plain Form), plus what views read."""
    for path in SOURCE.rglob("*forms.py"):  # every form module imported, so every class is defined
        importlib.import_module(".".join(path.relative_to(SOURCE.parent).with_suffix("").parts))
    names = set(VIEW_ARGUMENTS)
    for cls in {*_form_classes(FlaskForm), *_form_classes(Form)}:
        if cls.__module__.startswith("dashboard."):
            names.update(name for name in dir(cls) if hasattr(getattr(cls, name), "field_class"))
    for path in SOURCE.rglob("*.py"):
        names.update(re.findall(r'request\.(?:args|form|values)\.get(?:list)?\("([a-z_]+)"', path.read_text()))
    return names


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule, method


@pytest.fixture
def world(app, db):
    """An admin with an account, a transaction and an import batch, so every path argument can name a real row."""
    admin = factories.create_user(db.session, "admin@example.com", role=Role.ADMIN)
    account = factories.create_account(db.session, admin)
    factories.add_transactions(db.session, account, [("2024-01-01", "-5", "Coffee", "Food")])
    client = app.test_client()
    factories.log_in(client, admin.email)
    upload = client.post(f"/accounts/{account.id}/import", content_type="multipart/form-data", data={
        "file": (io.BytesIO(b"Date,Description,Amount\n2024-01-02,Tea,-2.00\n"), "a.csv"), "format": "auto"})
    action = f"/accounts/{account.id}/import/confirm"
    html = upload.get_data(as_text=True)
    form = html[html.index(f'action="{action}"'):]
    hidden = dict(re.findall(r'<input[^>]*name="([^"]+)" type="hidden" value="([^"]*)"', form[:form.index("</form>")]))
    hidden = {name: unescape(value) for name, value in hidden.items()}
    result = client.post(action, data=hidden)
    batch_id = int(result.headers["Location"].rsplit("/", 1)[1])
    other = factories.create_user(db.session, "other@example.com")  # user_id: never the admin signed in
    token = create_token(db.session, Actor(admin.id), admin, "fuzz").token
    path_values = {"account_id": account.id, "batch_id": batch_id, "code": "4000", "user_id": other.id,
                   "token_id": token.id,
                   "transaction_id": db.session.scalar(select(Transaction.id).order_by(Transaction.id))}
    return client, path_values, hidden


def _path(rule, values, override=None):
    """The rule with real ids, or ``override`` in its text arguments; an id past any row (10**20) in its
    numeric arguments when overridden (werkzeug's int converter refuses anything else before the view)."""
    path = rule.rule
    for name in rule.arguments:
        numeric = rule._converters[name].regex.startswith("\\d")
        # An id argument the world has no row for (a route added later) names a row that does not exist.
        value = values.get(name, 10 ** 6) if override is None else (10 ** 20 if numeric else override)
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), path)
    return path


def test_every_route_and_field_refuses_hostile_values_without_a_500(app, world):
    client, path_values, signed = world
    names = sorted(field_names())
    failures = []
    for rule, method in routes(app):
        if rule.rule == "/logout":
            continue  # signs the client out; its only input is the CSRF token, which the fuzz cannot reach past
        for number, value in enumerate(HOSTILE):
            path = _path(rule, path_values, override=value if number % 3 == 0 else None)
            # Each field alone with one value, and all of them at once with another, so one refusal
            # does not hide the next field's fault.
            single = {names[(number + i) % len(names)]: value for i in range(0, len(names), len(HOSTILE))}
            together = {name: value for name in names}
            for data in (single, together):
                if method == "GET":
                    response = client.get(path, query_string=data)
                else:
                    if rule.rule.endswith(("/confirm", "/mapping")) and number % 2:
                        data = {**signed, **{k: v for k, v in data.items() if k != "upload"}}
                    response = client.post(path, data=data)
                try:
                    response.get_data()  # a streamed download fails while it is read, after its 200
                    status = response.status_code
                except Exception as error:  # noqa: BLE001  (any error while streaming is the failure looked for)
                    status = repr(error)[:80]
                if not isinstance(status, int) or status >= 500:
                    failures.append((method, path, sorted(data)[:3], repr(value[:40]), status))
        assert client.get("/").status_code == 200, f"signed out by {rule.rule}"
    assert failures == []


def test_field_names_come_from_the_forms():
    names = field_names()
    assert {"amount_min", "date_from", "per_page", "current_password", "mapping", "after"} <= names
