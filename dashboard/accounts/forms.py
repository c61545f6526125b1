"""The transaction filter (a GET form: its state is the URL) and the edit forms (POST, with CSRF)."""
from __future__ import annotations

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
from wtforms.validators import Length, Optional

from dashboard.accounts.transaction_pages import (
    DEFAULT_PAGE_SIZE,
    PAGE_SIZES,
    SORT_COLUMNS,
    UNCATEGORISED,
    TransactionFilter,
)
from dashboard.models.accounts import STATUS_PENDING, STATUS_POSTED

SORT_CHOICES = [
    ("-date", "Newest first"), ("date", "Oldest first"),
    ("-amount", "Largest amount first"), ("amount", "Smallest amount first"),
    ("description", "Description A–Z"), ("-description", "Description Z–A"),
]


def _coerce_account(value):
    return int(value) if value not in (None, "") else None


class TransactionFilterForm(Form):
    """Built from ``request.args``; an invalid field is reported and left out of the filter."""

    q = SearchField("Search", validators=[Optional(), Length(max=200)])
    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])
    amount_min = DecimalField("Amount from", places=None, validators=[Optional()])
    amount_max = DecimalField("Amount to", places=None, validators=[Optional()])
    account = SelectField("Account", coerce=_coerce_account, default="")
    category = SelectField("Category", validate_choice=False, default="")
    status = SelectField("Status", default="",
                         choices=[("", "Any status"), (STATUS_POSTED, "Posted"), (STATUS_PENDING, "Pending")])
    sort = SelectField("Sort", choices=SORT_CHOICES, default="-date")
    per_page = SelectField("Per page", choices=[(size, str(size)) for size in PAGE_SIZES], coerce=int,
                           default=DEFAULT_PAGE_SIZE)

    def __init__(self, formdata, accounts: list[tuple[int, str]], categories: list[str]):
        super().__init__(formdata)
        self.account.choices = [("", "All accounts"), *accounts]
        self.category.choices = [("", "Any category"), (UNCATEGORISED, "Uncategorised"),
                                 *((name, name) for name in categories)]

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
            sort=sort.lstrip("-"),
            descending=sort.startswith("-"),
        )

    @property
    def page_size(self) -> int:
        return DEFAULT_PAGE_SIZE if self.per_page.errors else self.per_page.data


class TransactionEditForm(FlaskForm):
    category = StringField("Category", validators=[Optional(), Length(max=120)],
                           render_kw={"list": "known-categories", "autocomplete": "off"})
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)], render_kw={"rows": 3})
    submit = SubmitField("Save")


class BulkCategoryForm(FlaskForm):
    """Rows are chosen with checkboxes named ``ids`` in the table; read with ``request.form.getlist``."""

    category = StringField("Set category of selected rows to", validators=[Optional(), Length(max=120)],
                           render_kw={"list": "known-categories", "autocomplete": "off"})
    next = StringField()
    submit = SubmitField("Apply to selected")
