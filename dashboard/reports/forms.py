"""The report filter form (a GET form: it changes nothing, so it carries no CSRF token)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectField, StringField
from wtforms.fields import MonthField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from dashboard import widgets
from dashboard.models.nominal import NominalKind

from dashboard.reports.balances import DAILY, MONTHLY
from dashboard.reports.periods import DEFAULT_PRESET, PRESETS, Period, custom_period, preset_period


class ReportFilterForm(Form):
    """On every report page, so its fields use the cheaper widgets of dashboard.widgets."""

    period = SelectField("Period", choices=[SelectChoice(key, label) for key, label in PRESETS.items()],
                         widget=widgets.Select())
    start = MonthField("From month", validators=[Optional()], widget=widgets.MonthInput())
    end = MonthField("To month", validators=[Optional()], widget=widgets.MonthInput())
    account = SelectField("Account", choices=[SelectChoice("", "All accounts")], default="", widget=widgets.Select())
    currency = SelectField("Currency", choices=[SelectChoice("", "All currencies")], default="",
                           widget=widgets.Select())


class BalancesFilterForm(ReportFilterForm):
    """The balances report also steps by month or by day; no other report has (or warns about) that field."""

    step = SelectField("Balances", choices=[SelectChoice(MONTHLY, "Monthly"), SelectChoice(DAILY, "Daily")],
                       default=MONTHLY, widget=widgets.Select())


class NominalCodeForm(FlaskForm):
    """Name one nominal code of the signed-in user's chart, or add one (a POST: CSRF-checked)."""

    code = StringField("Code", validators=[DataRequired(), Length(max=16)])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    kind = SelectField("Kind", choices=[SelectChoice("", "From the code's range")]
                       + [SelectChoice(kind.value, kind.label) for kind in NominalKind], default="")


@dataclass
class ReportFilters:
    """What the report is asked for, after the form is read; ``errors`` say what was ignored and why."""

    period: Period
    preset: str
    account_id: int | None = None
    currency: str | None = None
    step: str = MONTHLY
    errors: list[str] = field(default_factory=list)

    def query_args(self) -> dict:
        """The GET parameters that ask for this same report (for links and the CSV download)."""
        args = {"period": self.preset}
        if self.preset == "custom":
            args.update(start=f"{self.period.first:%Y-%m}", end=f"{self.period.last:%Y-%m}")
        if self.account_id is not None:
            args["account"] = self.account_id
        if self.currency:
            args["currency"] = self.currency
        if self.step != MONTHLY:
            args["step"] = self.step
        return args


def read_filters(args: MultiDict, accounts: list[tuple[int, str]], currencies: list[str], today: date,
                 default_preset: str = DEFAULT_PRESET, form_class: type[ReportFilterForm] = ReportFilterForm,
                 ) -> tuple[ReportFilterForm, ReportFilters]:
    """The filter form bound to the query string, and the filters it gives (invalid parts fall back to defaults).

    Only the fields of ``form_class`` are read: a page is never warned about a field it does not have.
    """
    form = form_class(args)
    form.account.choices = [SelectChoice("", "All accounts")] + [SelectChoice(str(n), label) for n, label in accounts]
    form.currency.choices = [SelectChoice("", "All currencies")] + [SelectChoice(code, code) for code in currencies]
    if not args.get("period"):
        form.period.data = default_preset
    form.validate()
    filters = ReportFilters(preset_period(default_preset, today), default_preset)
    for name, errors in form.errors.items():
        filters.errors.extend(f"{getattr(form, name).label.text}: {message}" for message in errors)
    if not form.period.errors:
        _apply_period(form, filters, today)
    if form.account.data and not form.account.errors:
        filters.account_id = int(form.account.data)
    if form.currency.data and not form.currency.errors:
        filters.currency = form.currency.data
    if "step" in form and not form.step.errors:
        filters.step = form.step.data
    form.period.data = filters.preset
    return form, filters


def _apply_period(form: ReportFilterForm, filters: ReportFilters, today: date) -> None:
    if form.period.data != "custom":
        filters.period, filters.preset = preset_period(form.period.data, today), form.period.data
        return
    if not form.start.data or not form.end.data:
        if not form.start.errors and not form.end.errors:
            filters.errors.append("Custom period: give both a start month and an end month.")
        return
    try:
        filters.period, filters.preset = custom_period(form.start.data, form.end.data), "custom"
    except ValueError as error:
        filters.errors.append(f"Custom period: {error}")
