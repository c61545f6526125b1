"""The API's typed request and response bodies (marshmallow), from which the OpenAPI document is generated."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from dashboard.accounts.forms import SORT_CHOICES
from dashboard.models.accounts import AccountType, TransactionStatus
from dashboard.models.base import storable_amount
from dashboard.reports.balances import DAILY, MONTHLY

MAX_PAGE = 500
SORTS = [choice.value for choice in SORT_CHOICES]


class Money(fields.Decimal):
    """A decimal string such as ``"-12.30"``; never a float, and only what a Money column can hold."""

    def __init__(self, metadata: dict | None = None, **kwargs):
        super().__init__(as_string=True, allow_nan=False,
                         metadata={"type": "string", "format": "decimal", "example": "-12.30", **(metadata or {})},
                         **kwargs)

    def _validated(self, value):
        number = super()._validated(value)
        if number is not None and not storable_amount(number):
            raise self.make_error("invalid")
        return number


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise ma.ValidationError("Text may not contain NUL characters.")


def Text(maximum: int, **kwargs) -> fields.String:
    return fields.String(validate=[validate.Length(max=maximum), _no_nul], **kwargs)


class Schema(ma.Schema):
    class Meta:
        ordered = True
        unknown = ma.RAISE


class Problem(Schema):
    """RFC 9457 problem details."""

    type = fields.String(load_default="about:blank")
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.Raw(),
                         metadata={"description": "For invalid input: each location and field with its messages."})


class Health(Schema):
    status = fields.String(required=True)


class Me(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True)
    token_name = fields.String(required=True)
    read_only = fields.Boolean(required=True)


class AccountOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    type = fields.String(required=True)
    currency = fields.String(required=True)
    institution = fields.String(allow_none=True, required=True)
    source = fields.String(required=True)
    balance = Money(allow_none=True, required=True, metadata={"description": "The ledger balance."})
    ledger_balance = Money(allow_none=True, required=True)
    available_balance = Money(allow_none=True, required=True)
    balance_as_of = fields.DateTime(allow_none=True, required=True)
    shared_by = fields.String(allow_none=True, required=True,
                              metadata={"description": "The owner's email when the account is shared with you."})

    @ma.pre_dump
    def _with_balance(self, account, **kwargs) -> dict:
        from dashboard.api import scope  # the request's scope; imported here, as dashboard.api imports this module

        values = {name: getattr(account, "ledger_balance" if name == "balance" else name)
                  for name in self.fields if name != "shared_by"}
        return {**values, "shared_by": scope().shared_by(account.id)}


class AccountIn(Schema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=120), _no_nul])
    type = fields.String(load_default=AccountType.CHECKING.value,
                         validate=validate.OneOf([t.value for t in AccountType if t != AccountType.LEDGER]))
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$"))
    institution = Text(120, allow_none=True, load_default=None)


class AccountList(Schema):
    data = fields.List(fields.Nested(AccountOut), required=True)
    next = fields.String(allow_none=True, required=True)


class SplitOut(Schema):
    position = fields.Integer(required=True)
    amount = Money(required=True)
    category = fields.String(allow_none=True, required=True)
    note = fields.String(allow_none=True, required=True)


class TransactionOut(Schema):
    id = fields.Integer(required=True)
    account_id = fields.Integer(required=True)
    date = fields.Date(required=True)
    description = fields.String(required=True)
    amount = Money(required=True)
    currency = fields.String(required=True)
    status = fields.String(required=True)
    category = fields.String(allow_none=True, required=True)
    counterparty = fields.String(allow_none=True, required=True)
    note = fields.String(allow_none=True, required=True)
    external_id = fields.String(required=True)
    batch_id = fields.Integer(allow_none=True, required=True)
    manual = fields.Boolean(required=True, metadata={"description": "Added by hand: may be edited in full or deleted."})
    splits = fields.List(fields.Nested(SplitOut), required=True, metadata={
        "description": "The parts of a split transaction (they sum to its amount); empty when it is whole."})


class TransactionList(Schema):
    data = fields.List(fields.Nested(TransactionOut), required=True)
    next = fields.String(allow_none=True, required=True, metadata={"description": "The next page, or null."})


class TransactionQuery(Schema):
    q = Text(200, load_default="")
    date_from = fields.Date(load_default=None)
    date_to = fields.Date(load_default=None)
    amount_min = Money(load_default=None)
    amount_max = Money(load_default=None)
    category = Text(120, load_default="", metadata={"description": "A category, or '-' for uncategorised."})
    status = fields.String(load_default="", validate=validate.OneOf(["", *(s.value for s in TransactionStatus)]))
    sort = fields.String(load_default="-date", validate=validate.OneOf(SORTS))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))
    after = Text(300, load_default=None, metadata={"description": "The cursor of a `next` link."})


class TransactionIn(Schema):
    date = fields.Date(required=True)
    description = fields.String(required=True, validate=[validate.Length(min=1, max=500), _no_nul])
    amount = Money(required=True)
    status = fields.String(load_default=TransactionStatus.POSTED.value,
                           validate=validate.OneOf([s.value for s in TransactionStatus]))
    category = Text(120, allow_none=True, load_default=None)
    counterparty = Text(255, allow_none=True, load_default=None)
    note = Text(2000, allow_none=True, load_default=None)


class TransactionPatch(Schema):
    """Category and note on any row; the other fields only on a manual row."""

    category = Text(120, allow_none=True)
    note = Text(2000, allow_none=True)
    date = fields.Date()
    description = fields.String(validate=[validate.Length(min=1, max=500), _no_nul])
    amount = Money()
    status = fields.String(validate=validate.OneOf([s.value for s in TransactionStatus]))
    counterparty = Text(255, allow_none=True)


class ImportIn(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})
    mapping = fields.String(metadata={"description": "A JSON column mapping, when a 422 asked for one."})


class ImportOut(Schema):
    id = fields.Integer(required=True)
    account_id = fields.Integer(required=True)
    filename = fields.String(required=True)
    format = fields.String(required=True)
    read = fields.Integer(required=True, attribute="rows_read")
    inserted = fields.Integer(required=True, attribute="rows_inserted")
    duplicates = fields.Integer(required=True, attribute="rows_duplicate")
    undone = fields.Boolean(required=True)


class UndoOut(Schema):
    id = fields.Integer(required=True)
    removed = fields.Integer(required=True)


class ReportQuery(Schema):
    period = fields.String(load_default=None)
    start = fields.String(load_default=None, metadata={"description": "YYYY-MM, with period=custom"})
    end = fields.String(load_default=None, metadata={"description": "YYYY-MM, with period=custom"})
    account = fields.Integer(load_default=None)
    currency = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Z]{3}$"))


class ConvertibleReportQuery(ReportQuery):
    convert_to = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Z]{3}$"), metadata={
        "description": "Also give the report converted into this currency (`currency` filters by the held "
                       "currency), each part with the rate used; the net-worth report's `currency`."})


class ConvertibleReportQueryWithStep(ConvertibleReportQuery):
    step = fields.String(load_default=None, validate=validate.OneOf([MONTHLY, DAILY]))


class RateOut(Schema):
    currency = fields.String(required=True, metadata={"description": "The currency converted from."})
    rate = fields.Decimal(as_string=True, required=True,
                          metadata={"type": "string", "format": "decimal", "description": "1 currency = rate"})
    rate_date = fields.Date(required=True, metadata={
        "description": "The date of the rate used (the month, for a month's average)."})
    via = fields.String(required=True, allow_none=True, metadata={"description": "The base of a cross rate."})
    days = fields.Integer(required=True, metadata={"description": "More than 1: the average of that many daily "
                                                                  "rates of the month."})
    description = fields.String(required=True, metadata={"description": "The rate as the pages show it."})


class UnconvertedOut(Schema):
    currency = fields.String(required=True)
    income = Money(required=True)
    expenses = Money(required=True)
    missing = fields.String(required=True, metadata={"description": "Why it is not converted."})


class ConvertedMonthOut(Schema):
    month = fields.Date(required=True)
    income = Money(required=True, metadata={"description": "The converted parts only."})
    expenses = Money(required=True)
    net = Money(required=True)
    rates = fields.List(fields.Nested(RateOut), required=True)
    unconverted = fields.List(fields.Nested(UnconvertedOut), required=True,
                              metadata={"description": "Parts without a rate, in their own currency."})


class ConvertedOut(Schema):
    currency = fields.String(required=True, metadata={"description": "The currency converted into."})
    conversion = fields.String(required=True, metadata={"description": "daily or monthly (average) rates"})
    complete = fields.Boolean(required=True, metadata={"description": "false when any part has no rate"})


class ConvertedIncomeExpensesOut(ConvertedOut):
    income = Money(required=True)
    expenses = Money(required=True)
    net = Money(required=True)
    months = fields.List(fields.Nested(ConvertedMonthOut), required=True)


class ConvertedCategoryOut(Schema):
    category = fields.String(required=True, metadata={"description": "'' for uncategorised"})
    spent = Money(required=True, metadata={"description": "The converted parts only."})
    rates = fields.List(fields.Nested(RateOut), required=True)
    unconverted = fields.List(fields.Nested(UnconvertedOut), required=True)


class ConvertedSpendingOut(ConvertedOut):
    spent = Money(required=True)
    categories = fields.List(fields.Nested(ConvertedCategoryOut), required=True)


class MonthOut(Schema):
    month = fields.Date(required=True)
    income = Money(required=True)
    expenses = Money(required=True)
    net = Money(required=True)


class IncomeExpensesOut(Schema):
    currency = fields.String(required=True)
    income = Money(required=True)
    expenses = Money(required=True)
    net = Money(required=True)
    months = fields.List(fields.Nested(MonthOut), required=True)


class CategoryOut(Schema):
    category = fields.String(required=True, metadata={"description": "'' for uncategorised"})
    spent = Money(required=True)
    previous = Money(required=True)
    share = Money(required=True, metadata={"description": "percent of the currency's spending"})


class CategoriesOut(Schema):
    currency = fields.String(required=True)
    spent = Money(required=True)
    categories = fields.List(fields.Nested(CategoryOut), required=True)


class Report(Schema):
    first_month = fields.Date(required=True)
    last_month = fields.Date(required=True)


class IncomeExpensesReport(Report):
    data = fields.List(fields.Nested(IncomeExpensesOut), required=True)
    converted = fields.Nested(ConvertedIncomeExpensesOut, required=True, allow_none=True,
                              metadata={"description": "With convert_to; null otherwise."})


class CategoriesReport(Report):
    data = fields.List(fields.Nested(CategoriesOut), required=True)
    converted = fields.Nested(ConvertedSpendingOut, required=True, allow_none=True,
                              metadata={"description": "With convert_to; null otherwise."})



class StatementRowOut(Schema):
    label = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "range, code or subtotal"})
    key = fields.String(required=True)
    values = fields.List(Money(), required=True, metadata={"description": "One per month of the period."})
    total = Money(required=True)


class ProfitAndLossOut(Schema):
    currency = fields.String(required=True)
    rows = fields.List(fields.Nested(StatementRowOut), required=True)


class ProfitAndLossReport(Report):
    months = fields.List(fields.Date(), required=True)
    data = fields.List(fields.Nested(ProfitAndLossOut), required=True)


class AccountBalancesOut(Schema):
    account_id = fields.Integer(required=True)
    name = fields.String(required=True)
    balances = fields.List(Money(), required=True, metadata={"description": "One per point."})
    derived = fields.Boolean(required=True)


class BalancesOut(Schema):
    currency = fields.String(required=True)
    net_worth = fields.List(Money(), required=True)
    accounts = fields.List(fields.Nested(AccountBalancesOut), required=True)


class NetWorthQuery(Schema):
    currency = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Z]{3}$"),
                             metadata={"description": "Convert into this currency (default: the home currency)."})
    as_of = fields.Date(load_default=None, metadata={"description": "YYYY-MM-DD (default: today)"})


class HoldingOut(Schema):
    currency = fields.String(required=True)
    balance = Money(required=True, metadata={"description": "Held in this currency; debts negative."})
    converted = Money(required=True, allow_none=True, metadata={"description": "null when no rate was near enough"})
    rate = fields.Decimal(as_string=True, required=True, allow_none=True,
                          metadata={"type": "string", "format": "decimal", "description": "1 currency = rate"})
    rate_date = fields.Date(required=True, allow_none=True, metadata={"description": "The date of the rate used."})
    via = fields.String(required=True, allow_none=True, metadata={"description": "The base of a cross rate."})
    missing = fields.String(required=True, allow_none=True, metadata={"description": "Why it is not converted."})


class NetWorthReport(Schema):
    currency = fields.String(required=True)
    as_of = fields.Date(required=True)
    total = Money(required=True, allow_none=True, metadata={"description": "null when any figure is unconverted"})
    data = fields.List(fields.Nested(HoldingOut), required=True)


class ConvertedPointOut(Schema):
    point = fields.Date(required=True)
    as_of = fields.Date(required=True, metadata={"description": "The day whose rates are used."})
    total = Money(required=True, allow_none=True, metadata={"description": "null when any figure is unconverted"})
    converted_sum = Money(required=True, metadata={"description": "The sum of the converted figures only."})
    data = fields.List(fields.Nested(HoldingOut), required=True)


class BalancesReport(Report):
    step = fields.String(required=True)
    points = fields.List(fields.Date(), required=True)
    data = fields.List(fields.Nested(BalancesOut), required=True)
    converted = fields.List(fields.Nested(ConvertedPointOut), required=True, allow_none=True,
                            metadata={"description": "With convert_to: net worth at each point; null otherwise."})
