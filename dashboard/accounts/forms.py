"""The accounts area's forms: opening an account, the transaction filter (a GET form: its state is the URL)
and the edit forms (POST, with CSRF). The import forms live in ``import_forms``."""
from __future__ import annotations

from decimal import Decimal

from babel.numbers import list_currencies
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    Form,
    SearchField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from dashboard.accounts.transaction_queries import (
    DEFAULT_PAGE_SIZE,
    MONEY_IN,
    MONEY_OUT,
    PAGE_SIZES,
    SORT_COLUMNS,
    UNCATEGORISED,
    TransactionFilter,
)
from dashboard.models.base import storable_amount
from dashboard.models.accounts import AccountType, TransactionStatus
from dashboard import widgets

ACCOUNT_TYPES = [
    SelectChoice(AccountType.CHECKING.value, "Checking / current"), SelectChoice(AccountType.SAVINGS.value, "Savings"),
    SelectChoice(AccountType.CREDIT_CARD.value, "Credit card"), SelectChoice(AccountType.BUSINESS.value, "Business"),
    SelectChoice(AccountType.LOAN.value, "Loan or mortgage"), SelectChoice(AccountType.INVESTMENT.value, "Investment"),
    SelectChoice(AccountType.CASH.value, "Cash"),
    SelectChoice(AccountType.LEDGER.value, "Nominal ledger (accounting export)"),
]

SORT_CHOICES = [
    SelectChoice("-date", "Newest first"), SelectChoice("date", "Oldest first"),
    SelectChoice("-amount", "Largest amount first"), SelectChoice("amount", "Smallest amount first"),  # by size
    SelectChoice("description", "Description A–Z"), SelectChoice("-description", "Description Z–A"),
]


def _known_currency(form, field):
    field.data = (field.data or "").strip().upper()
    if field.data not in list_currencies():
        raise ValidationError("Use a three-letter ISO 4217 currency code, such as GBP, EUR or USD.")


def _amount_the_database_can_compare(form, field):
    if field.data is not None and not storable_amount(field.data):
        raise ValidationError("Not a valid amount: at most four decimal places and under 100 trillion.")


def _no_nul_character(form, field):
    """PostgreSQL refuses text with NUL characters, so such a value is reported, not sent."""
    if field.data and "\x00" in field.data:
        raise ValidationError("Not a valid value.")


class AccountForm(FlaskForm):
    """Opening an account by hand, so a new user has somewhere to import a statement into."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120), _no_nul_character])
    type = SelectField("Type", choices=ACCOUNT_TYPES, default=AccountType.CHECKING.value)
    currency = StringField("Currency", validators=[DataRequired(), _known_currency], default="GBP",
                           render_kw={"maxlength": 3, "autocapitalize": "characters"})
    institution = StringField("Bank or institution", validators=[Optional(), Length(max=120), _no_nul_character])
    last_four = StringField("Last four digits", validators=[Optional(), Regexp(r"^\d{4}$", message="Four digits.")],
                            render_kw={"inputmode": "numeric", "maxlength": 4})
    opening_balance = DecimalField("Opening balance", places=None, default=0,
                                   validators=[Optional(), _amount_the_database_can_compare],
                                   description="What the account held before its first transaction here; "
                                               "negative for a card or loan in debt.")
    opening_date = DateField("Opening date", validators=[Optional()])
    submit = SubmitField("Add account")


class AccountEditForm(AccountForm):
    submit = SubmitField("Save account")


class TransactionForm(FlaskForm):
    """A transaction by hand: the amount is entered positive, with its direction."""

    date = DateField("Date", validators=[DataRequired()])
    description = StringField("Description", validators=[DataRequired(), Length(max=500), _no_nul_character])
    direction = SelectField("Money", choices=[SelectChoice("out", "Out (spent)"), SelectChoice("in", "In (received)")],
                            default="out")
    amount = DecimalField("Amount", places=None, validators=[
        DataRequired(), NumberRange(min=Decimal("0.0001"), message="Enter the amount as a positive number."),
        _amount_the_database_can_compare])
    category = StringField("Category", validators=[Optional(), Length(max=120), _no_nul_character],
                           render_kw={"list": "known-categories", "autocomplete": "off"})
    counterparty = StringField("Counterparty", validators=[Optional(), Length(max=255), _no_nul_character])
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000), _no_nul_character], render_kw={"rows": 3})
    submit = SubmitField("Save transaction")

    def values(self, manual: bool = True) -> dict:
        """The service's values; an imported row's date and amount are not the form's to change."""
        values = {"description": self.description.data, "category": self.category.data,
                  "counterparty": self.counterparty.data, "note": self.note.data}
        if manual:
            values["date"] = self.date.data
            values["amount"] = self.amount.data if self.direction.data == "in" else -self.amount.data
        return values

    def fill(self, row) -> None:
        """Show an existing row: its amount as a positive figure and a direction."""
        self.direction.data = "in" if row.amount > 0 else "out"
        self.amount.data = abs(row.amount)


class ConfirmForm(FlaskForm):
    """A button that only posts (with CSRF): close, reopen, delete, undo, link, mark reconciled."""

    submit = SubmitField("Confirm")


def _not_before_from(form, field):
    if field.data and form.date_from.data and not form.date_from.errors and field.data < form.date_from.data:
        raise ValidationError(f"{field.data:%d %b %Y} is before From ({form.date_from.data:%d %b %Y}): "
                              "swap them or change one.")


def _coerce_account(value):
    return int(value) if value not in (None, "") else None


class TransactionFilterForm(Form):
    """Built from ``request.args``; an invalid field is reported and left out of the filter. Every transaction
    page renders it, so its fields use the cheaper widgets of dashboard.widgets.

    Amounts are sizes ("100 to 500" finds money in and out of that size); ``direction`` narrows them to
    money in or money out.
    """

    FILTER_FIELDS = ("q", "date_from", "date_to", "amount_min", "amount_max", "direction", "account", "category",
                     "status")

    q = SearchField("Search", validators=[Optional(), Length(max=200), _no_nul_character],
                    widget=widgets.SearchInput())
    date_from = DateField("From", validators=[Optional()], widget=widgets.DateInput())
    date_to = DateField("To", validators=[Optional(), _not_before_from], widget=widgets.DateInput())
    amount_min = DecimalField("Amount from", places=None, validators=[Optional(), _amount_the_database_can_compare],
                              widget=widgets.NumberInput(step="any"))
    amount_max = DecimalField("Amount to", places=None, validators=[Optional(), _amount_the_database_can_compare],
                              widget=widgets.NumberInput(step="any"))
    direction = SelectField("Money in or out", default="", widget=widgets.Select(), choices=[
        SelectChoice("", "In or out"), SelectChoice(MONEY_IN, "Money in"), SelectChoice(MONEY_OUT, "Money out"),
    ])
    account = SelectField("Account", coerce=_coerce_account, default="", widget=widgets.Select())
    category = SelectField("Category", validators=[_no_nul_character], validate_choice=False, default="",
                           widget=widgets.Select())
    status = SelectField("Status", default="", widget=widgets.Select(), choices=[
        SelectChoice("", "Any status"), SelectChoice(TransactionStatus.POSTED.value, "Posted"),
        SelectChoice(TransactionStatus.PENDING.value, "Pending"),
    ])
    sort = SelectField("Sort", choices=SORT_CHOICES, default="-date", widget=widgets.Select())
    per_page = SelectField("Per page", choices=[SelectChoice(size, str(size)) for size in PAGE_SIZES], coerce=int,
                           default=DEFAULT_PAGE_SIZE, widget=widgets.Select())

    def __init__(self, formdata, accounts: list[tuple[int, str]], categories: list[str]):
        super().__init__(formdata)
        self.account.choices = [SelectChoice("", "All accounts"),
                                *(SelectChoice(account_id, name) for account_id, name in accounts)]
        self.category.choices = [SelectChoice("", "Any category"), SelectChoice(UNCATEGORISED, "Uncategorised"),
                                 *(SelectChoice(name) for name in categories)]

    def to_filter(self, account_id: int | None = None) -> TransactionFilter:
        """The filter from every valid field (call after ``validate``); the page's own account wins."""
        def valid(field):
            return None if field.errors else field.data

        sort = valid(self.sort) or "-date"
        if sort.lstrip("-") not in SORT_COLUMNS:
            sort = "-date"
        return TransactionFilter(
            account_id=account_id if account_id is not None else valid(self.account),
            query=(valid(self.q) or "").strip(),
            date_from=valid(self.date_from),
            date_to=valid(self.date_to),
            amount_min=valid(self.amount_min),
            amount_max=valid(self.amount_max),
            category=valid(self.category) or "",
            status=valid(self.status) or "",
            direction=valid(self.direction) or "",
            sort=sort.lstrip("-"),
            descending=sort.startswith("-"),
        )

    @property
    def active_filters(self) -> int:
        """How many fields narrow the rows (the search included; sort and page size do not count)."""
        return sum(1 for name in self.FILTER_FIELDS if self[name].raw_data and self[name].raw_data[0] != "")

    @property
    def page_size(self) -> int:
        return DEFAULT_PAGE_SIZE if self.per_page.errors else self.per_page.data


class TransactionEditForm(FlaskForm):
    category = StringField("Category", validators=[Optional(), Length(max=120), _no_nul_character],
                           render_kw={"list": "known-categories", "autocomplete": "off"})
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000), _no_nul_character], render_kw={"rows": 3})
    submit = SubmitField("Save")


class BulkCategoryForm(FlaskForm):
    """Rows are chosen with checkboxes named ``ids`` in the table; read with ``request.form.getlist``.

    Its element ids differ from the filter form's on the same page, so each label names its own field. On every
    transaction page, so its fields use the cheaper widgets of dashboard.widgets.
    """

    category = StringField("Set category of selected rows to",
                           validators=[Optional(), Length(max=120), _no_nul_character],
                           id="bulk-category", render_kw={"list": "known-categories", "autocomplete": "off"},
                           widget=widgets.TextInput())
    next = StringField(id="bulk-next", widget=widgets.TextInput())
    submit = SubmitField("Apply to selected", id="bulk-submit", widget=widgets.SubmitInput())
