"""The macros of templates/_macros.html, called directly as Fava tests its macros."""
import re
from types import SimpleNamespace

import pytest
from flask import get_template_attribute
from werkzeug.datastructures import MultiDict

import config
from dashboard import create_app
from dashboard.accounts.forms import TransactionFilterForm


@pytest.fixture(scope="module")
def macros():
    app = create_app(config.TestingConfig())
    with app.test_request_context():
        yield lambda name: get_template_attribute("_macros.html", name)


def _form(**args) -> TransactionFilterForm:
    form = TransactionFilterForm(MultiDict(args), accounts=[(1, "Everyday")], categories=["Groceries"])
    form.validate()
    return form


def test_a_filter_field_has_its_label_and_column(macros):
    html = str(macros("filter_field")(_form().q, "col-md-4", placeholder="Description"))
    assert html.startswith('<div class="col-md-4">')
    assert '<label class="form-label" for="q">Search</label>' in html
    assert 'placeholder="Description"' in html and "aria-describedby" not in html and "is-invalid" not in html


def test_a_filter_fields_error_is_tied_to_its_control(macros):
    html = str(macros("filter_field")(_form(date_from="31/02/2024").date_from))
    control = re.search(r"<input[^>]*>", html).group(0)
    assert 'aria-describedby="date_from-error"' in control and 'aria-invalid="true"' in control
    assert "is-invalid" in control
    assert re.search(r'<div class="invalid-feedback" id="date_from-error">Not a valid date value.</div>', html)


def test_a_select_filter_field_is_a_form_select(macros):
    assert 'class="form-select"' in str(macros("filter_field")(_form().status))


def _urls(**cursor) -> str:
    return "/t?" + "&".join(f"{name}={value}" for name, value in cursor.items())


@pytest.mark.parametrize("newer, older", [(False, True), (True, True), (True, False)])
def test_pagination_links_each_way_and_disables_where_there_is_nothing(macros, newer, older):
    page = SimpleNamespace(has_newer=newer, has_older=older, first_key="1:a", last_key="9:z")  # any keyset page
    html = str(macros("pagination")(page, _urls, "Pages"))
    links = re.findall(
        r'<li class="page-item( disabled)?"><a class="page-link"(?: rel="\w+")? href="([^"]*)">(\w+)</a>', html)
    assert [(label, href, bool(disabled)) for disabled, href, label in links] == [
        ("First", "/t?", not newer), ("Previous", "/t?before=1:a", not newer),
        ("Next", "/t?after=9:z", not older), ("Last", "/t?last=1", not older),
    ]
    assert '<nav aria-label="Pages">' in html
