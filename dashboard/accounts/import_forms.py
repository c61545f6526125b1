"""The forms of the import pages: choose a file, map a CSV's columns, confirm, undo."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired

from dashboard.importers.bank_csv import ColumnMapping
from dashboard.importers.csv_conventions import DATE_FORMATS
from dashboard.importers.detect import FORMATS

FORMAT_NAMES = {"csv": "Bank CSV", "ofx": "OFX / QFX / QBO", "qif": "QIF", "camt053": "camt.052 / 053 / 054 XML",
                "sage": "Sage 50 audit trail CSV"}
FORMAT_CHOICES = [SelectChoice("auto", "Detect automatically"),
                  *(SelectChoice(name, FORMAT_NAMES.get(name, name)) for name in FORMATS)]
NO_COLUMN = ""
DATE_ORDER_CHOICES = [SelectChoice("", "Ask me"), SelectChoice("dmy", "Day first: 02/03/2025 is 2 March"),
                      SelectChoice("mdy", "Month first: 02/03/2025 is February 3")]


class UploadForm(FlaskForm):
    file = FileField("Statement file", validators=[FileRequired("Choose a file to import.")])
    format = SelectField("Format", choices=FORMAT_CHOICES, default="auto")
    date_order = SelectField("Date order for ambiguous files", choices=DATE_ORDER_CHOICES, default="",
                             description="Your setting, for files whose every day is 12 or less; "
                                         "an account remembers the order of its last import.")
    submit = SubmitField("Preview")


class CarriedUploadForm(FlaskForm):
    """The upload between steps: signed bytes in a hidden field, so no server keeps state."""

    upload = HiddenField(validators=[DataRequired()])
    format = HiddenField(default="auto")
    date_order = HiddenField(default="")  # "dmy"/"mdy" chosen in the preview, else empty


class ConfirmImportForm(CarriedUploadForm):
    mapping = HiddenField()  # JSON of the ColumnMapping the user chose, if any
    submit = SubmitField("Import")


class MappingForm(CarriedUploadForm):
    """Which column holds what, for a CSV whose layout detection could not decide."""

    date_column = SelectField("Date column", validators=[InputRequired()])
    date_format = SelectField("Date format", choices=[SelectChoice(name) for name in DATE_FORMATS],
                              validators=[InputRequired()])
    description_columns = SelectMultipleField(
        "Description column(s)", description="Hold Ctrl (⌘ on a Mac) and click to pick several: "
                                             "their text is joined in the order of the columns.")
    counterparty_column = SelectField("Counterparty (payee) column", default=NO_COLUMN)
    category_column = SelectField("Category column", default=NO_COLUMN)
    memo_columns = SelectMultipleField("Note column(s)")
    indicator_column = SelectField("Credit/debit indicator column (C/D, Af/Bij)", default=NO_COLUMN,
                                   description="Gives the sign of an amount column written without one.")
    amount_column = SelectField("Amount column (signed)", default=NO_COLUMN)
    debit_column = SelectField("Or money out (debit) column", default=NO_COLUMN)
    credit_column = SelectField("and money in (credit) column", default=NO_COLUMN)
    decimal_separator = SelectField("Decimal separator", choices=[
        SelectChoice(".", "point: 1,234.56"), SelectChoice(",", "comma: 1.234,56")])
    negate = BooleanField("Money out is written as positive (flip the signs)")
    has_header = SelectField("First row is a header", choices=[SelectChoice("1", "Yes: column names"),
                                                              SelectChoice("0", "No: the first row is a transaction")],
                             default="1")
    submit = SubmitField("Preview with these columns")

    def offer_columns(self, columns: list[str], date_formats: list[str]) -> None:
        numbered = [SelectChoice(str(number), f"{number + 1}: {name}") for number, name in enumerate(columns)]
        self.date_column.choices = numbered
        self.description_columns.choices = numbered
        self.memo_columns.choices = numbered
        for field in (self.amount_column, self.debit_column, self.credit_column, self.counterparty_column,
                      self.category_column, self.indicator_column):
            field.choices = [SelectChoice(NO_COLUMN, "—"), *numbered]
            field.data = NO_COLUMN if field.data is None else field.data  # left out of the post: no column
        if date_formats:  # the formats that read every date of the file come first
            ordered = [*date_formats, *(f for f in DATE_FORMATS if f not in date_formats)]
            self.date_format.choices = [SelectChoice(name) for name in ordered]

    def fill_from(self, mapping: ColumnMapping | None) -> None:
        if mapping is None:
            return
        self.date_column.data = str(mapping.date_column)
        self.date_format.data = mapping.date_format
        self.description_columns.data = [str(column) for column in mapping.description_columns]
        self.memo_columns.data = [str(column) for column in mapping.memo_columns]
        for name in ("amount_column", "debit_column", "credit_column", "counterparty_column", "category_column",
                     "indicator_column"):
            value = getattr(mapping, name)
            getattr(self, name).data = NO_COLUMN if value is None else str(value)
        self.decimal_separator.data = mapping.decimal_separator
        self.negate.data = mapping.negate
        self.has_header.data = "1" if mapping.has_header else "0"

    def column_mapping(self) -> ColumnMapping:
        """The chosen mapping; ValueError when it cannot work (no amount, or amount and debit/credit)."""
        def column(field) -> int | None:
            return None if field.data in (None, NO_COLUMN) else int(field.data)

        return ColumnMapping(
            date_column=int(self.date_column.data),
            date_format=self.date_format.data,
            description_columns=tuple(int(c) for c in self.description_columns.data or ()),
            amount_column=column(self.amount_column),
            debit_column=column(self.debit_column),
            credit_column=column(self.credit_column),
            memo_columns=tuple(int(c) for c in self.memo_columns.data or ()),
            counterparty_column=column(self.counterparty_column),
            category_column=column(self.category_column),
            indicator_column=column(self.indicator_column),
            decimal_separator=self.decimal_separator.data,
            negate=bool(self.negate.data),
            has_header=self.has_header.data != "0",
        )


class UndoImportForm(FlaskForm):
    submit = SubmitField("Undo this import")
