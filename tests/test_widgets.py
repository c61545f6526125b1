"""dashboard/widgets.py writes exactly what WTForms' own widgets write, only cheaper."""
import pytest
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import widgets as wtforms_widgets
from wtforms.fields.choices import SelectChoice

import config
from dashboard import create_app, widgets
from dashboard.accounts.forms import BulkCategoryForm, TransactionFilterForm
from dashboard.reports.forms import BalancesFilterForm

ATTRIBUTES = [
    {}, {"name": "q", "id": "q", "class_": "form-control"}, {"value": 'a "quoted" <b>value</b> & more'},
    {"value": Markup('already "safe" <b>')}, {"required": True, "disabled": False, "readonly": True},
    {"data_bs_toggle": "collapse", "aria_describedby": "q-error", "for_": "q"}, {"value": 25, "step": "any"},
    {"title": "Tom's"},
]
STOCK = {widgets.Select: wtforms_widgets.Select(), widgets.SearchInput: wtforms_widgets.SearchInput(),
         widgets.DateInput: wtforms_widgets.DateInput(), widgets.MonthInput: wtforms_widgets.MonthInput(),
         widgets.NumberInput: wtforms_widgets.NumberInput(step="any"), widgets.TextInput: wtforms_widgets.TextInput(),
         widgets.SubmitInput: wtforms_widgets.SubmitInput()}
FILTERS = [
    {}, {"q": '<script>alert("x")</script>', "category": 'Weird "cat" <b>', "account": "2", "status": "pending",
         "sort": "amount", "per_page": "200", "direction": "out", "date_from": "2024-03-01", "amount_min": "10.5"},
    {"date_from": "2024-02-30", "amount_max": "abc", "per_page": "7", "sort": "nonsense", "account": "x"},
]
REPORT_FILTERS = [{}, {"period": "custom", "start": "2024-01", "end": '2024-13"<b>', "account": "2", "currency": "EUR",
                       "step": "day"}, {"period": "nonsense", "account": "x", "currency": "<XYZ>"}]


@pytest.mark.parametrize("attributes", ATTRIBUTES)
def test_html_params_writes_what_wtforms_writes(attributes):
    assert widgets.html_params(**attributes) == wtforms_widgets.html_params(**attributes)


@pytest.mark.parametrize("args", FILTERS)
def test_the_filter_forms_fields_render_as_with_wtforms_own_widgets(args):
    form = TransactionFilterForm(MultiDict(args), accounts=[(1, "Everyday"), (2, 'Joint <"b">')],
                                 categories=["Groceries", 'Weird "cat" <b>', "Tom's"])
    form.validate()
    _assert_rendered_as_with_wtforms(form)


@pytest.mark.parametrize("args", REPORT_FILTERS)
def test_the_report_forms_fields_render_as_with_wtforms_own_widgets(args):
    form = BalancesFilterForm(MultiDict(args))
    form.account.choices = [SelectChoice(""), SelectChoice("2", 'Joint <"b">')]
    form.currency.choices = [SelectChoice(""), SelectChoice("EUR"), SelectChoice("GBP")]
    form.validate()
    _assert_rendered_as_with_wtforms(form)


@pytest.mark.parametrize("data", [{}, {"category": 'Weird "cat" <b>', "next": "/transactions?q=a&b=<c>"}])
def test_the_bulk_category_forms_fields_render_as_with_wtforms_own_widgets(data):
    app = create_app(config.TestingConfig())
    with app.test_request_context("/transactions"):
        form = BulkCategoryForm(MultiDict(data), meta={"csrf": False})
        _assert_rendered_as_with_wtforms(form)


def _assert_rendered_as_with_wtforms(form):
    for field in form:
        ours = field.widget
        stock = STOCK.get(type(ours))
        assert stock is not None, f"{field.name} uses a widget this test does not compare"
        for extra in ({"class_": "form-select"}, {"class_": "form-control is-invalid", "aria_invalid": "true",
                                                  "aria_describedby": f"{field.id}-error", "type": "text"}):
            assert str(ours(field, **extra)) == str(stock(field, **extra)), field.name


def test_an_option_with_its_own_attributes_goes_through_wtforms():
    form = TransactionFilterForm(MultiDict(), accounts=[], categories=[])
    form.status.choices = [SelectChoice(""), SelectChoice("pending", "Pending", render_kw={"data_hint": 'holds "cards"'})]
    assert str(widgets.Select()(form.status)) == str(wtforms_widgets.Select()(form.status))
    assert 'data-hint="holds &#34;cards&#34;"' in str(widgets.Select()(form.status))
