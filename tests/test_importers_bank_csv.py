"""The bank CSV parser, on the real exports in ../shared and on small files written here.

Expected values were read off each fixture file by hand: counts, sums,
dates and balances are the ones the file itself states.
"""
from __future__ import annotations

import json
import random
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from dashboard.importers.bank_csv import ColumnMapping, MappingNeeded, parse
from dashboard.importers.records import PENDING, POSTED, ImportFileError, ParsedFile

# The Venmo fragment has no header, one transaction and five text columns
# (type, status, payee, funding source, destination): nothing in the file says
# which text is the description, so the user maps it.
VENMO_MAPPING = ColumnMapping(
    date_column=2,
    date_format="ISO 8601 date-time",
    description_columns=(7,),
    memo_columns=(3,),
    amount_column=8,
    id_column=1,
    status_column=4,
    has_header=False,
)
MAPPINGS = {"multi-line-field.csv": VENMO_MAPPING}


def read(bank_exports: Path, name: str, mapping: ColumnMapping | None = None) -> ParsedFile:
    return parse((bank_exports / "csv" / name).read_bytes(), mapping)


def amounts(parsed: ParsedFile) -> list[Decimal]:
    return [t.amount for t in parsed.transactions]


def test_every_csv_fixture_imports(bank_exports: Path) -> None:
    files = sorted((bank_exports / "csv").rglob("*.csv"))
    assert len(files) == 13
    for path in files:
        parsed = parse(path.read_bytes(), MAPPINGS.get(path.name))
        assert parsed.format == "csv"
        assert parsed.transactions, path.name
        assert all(isinstance(t.amount, Decimal) for t in parsed.transactions), path.name


def test_paypal_export_with_utf8_bom(bank_exports: Path) -> None:
    parsed = read(bank_exports, "bom_utf8_file/input.csv")
    [transaction] = parsed.transactions
    assert parsed.encoding == "utf-8-sig"
    assert transaction.date == date(2019, 12, 27)
    assert transaction.amount == Decimal("-7.49")
    assert transaction.description == "Humble Bundle, Inc."
    assert transaction.currency == "USD"
    assert transaction.external_id is None  # its Transaction ID column is empty
    statement = parsed.statements[0]
    assert statement.ledger_balance == Decimal("705.37")
    assert statement.balance_as_of == datetime(2019, 12, 27)


def test_capital_one_debit_and_credit_columns(bank_exports: Path) -> None:
    parsed = read(bank_exports, "capitalone.csv")
    assert amounts(parsed) == [Decimal("-1000.00"), Decimal("1000.00")]
    assert sum(amounts(parsed)) == 0
    # Transaction Date (2015-12-31) wins over Posted Date (2016-01-02).
    assert {t.date for t in parsed.transactions} == {date(2015, 12, 31)}
    assert [t.category for t in parsed.transactions] == ["Other Travel", "Payment/Credit"]
    assert parsed.statements[0].ledger_balance is None


def test_nordea_without_header_is_read_from_its_content(bank_exports: Path) -> None:
    parsed = read(bank_exports, "danish_kroner_nordea_example.csv")
    assert amounts(parsed) == [Decimal(a) for a in ("-48.00", "-79.00", "497.90", "-995.00", "-3452.90", "-655.00")]
    assert sum(amounts(parsed)) == Decimal("-4732.00")
    assert parsed.transactions[0].date == date(2012, 11, 16)
    assert parsed.transactions[-1].date == date(2012, 8, 27)
    assert parsed.transactions[3].description == "Visa kob DKK 995,00 WWW.ASOS.COM 00000"
    assert parsed.details["date_format"] == "DD-MM-YYYY"
    assert parsed.details["header_line"] == "none"
    # Newest first: the balance is the first row's.
    assert parsed.statements[0].ledger_balance == Decimal("26550.33")
    assert parsed.statements[0].balance_as_of == datetime(2012, 11, 16)


def test_banco_do_brasil_latin1_skips_the_opening_balance_row(bank_exports: Path) -> None:
    parsed = read(bank_exports, "extratofake.csv")
    assert parsed.encoding == "iso-8859-1"
    assert len(parsed.transactions) == 22  # 23 rows, less "Saldo Anterior"
    assert sum(amounts(parsed)) == Decimal("805.00")
    assert parsed.details["skipped_rows"] == 'line 2 "10/31/2012 Saldo Anterior 0 100.00"'
    first = parsed.transactions[0]
    assert (first.line, first.date, first.amount) == (3, date(2012, 11, 1), Decimal("100.00"))
    assert first.description == "Transferência on line - 01/11 4885 256620-6 XXXXXXXXXXXXX"
    last = parsed.transactions[-1]
    assert (last.date, last.amount) == (date(2012, 11, 5), Decimal("-100.00"))
    assert last.description == "Pagamento de Título - XXXXXXXXXXXXXXXXXXX"


def test_gls_german_comma_decimals_and_dot_thousands(bank_exports: Path) -> None:
    parsed = read(bank_exports, "gls.csv")
    [transaction] = parsed.transactions
    assert parsed.encoding == "iso-8859-1"
    assert transaction.date == date(2017, 10, 10)
    assert transaction.amount == Decimal("-98.76")
    assert transaction.description == "Drillisch Online AG"
    assert transaction.counterparty == "Drillisch Online AG"
    assert transaction.memo == "SEPA-Basislastschrift B4658645 U123456789 B123456 987 SIMply Rechnung"
    assert transaction.currency == "EUR"
    assert parsed.statements[0].ledger_balance == Decimal("1234.56")
    assert parsed.statements[0].currency == "EUR"


def test_french_bank_with_junk_lines_before_the_header(bank_exports: Path) -> None:
    parsed = read(bank_exports, "invalid_header_example.csv")
    assert [(t.line, t.date, t.amount, t.description) for t in parsed.transactions] == [
        (5, date(2016, 2, 19), Decimal("50.00"), "VIR RECU 508160"),
        (6, date(2016, 2, 18), Decimal("-8.10"), "COTISATION JAZZ"),
    ]
    assert parsed.transactions[0].memo.startswith("VIR RECU 1234567834S DE: Francois")
    assert parsed.details["encoding"] == "utf-8"
    assert parsed.details["delimiter"] == "semicolon"
    assert parsed.details["header_line"] == "4"
    assert parsed.details["date_format"] == "DD/MM/YYYY"
    assert parsed.details["decimal_separator"] == "comma"
    assert "amount: Montant de l'opération" in parsed.details["columns"]


def test_inverted_credit_card_signs_are_told_by_its_debit_credit_column(bank_exports: Path) -> None:
    parsed = read(bank_exports, "inversed_credit_card.csv")
    assert len(parsed.transactions) == 16
    # Written: purchases 370.74 positive, payments 557.75 negative.
    assert sum(amounts(parsed)) == Decimal("187.01")
    first = parsed.transactions[0]
    assert (first.date, first.amount) == (date(2013, 1, 17), Decimal("-30.00"))
    assert first.description == "VODAFONE PREPAY VISA M AUCKLAND NZL"
    payment = parsed.transactions[3]
    assert (payment.description, payment.amount) == ("INTERNET PAYMENT RECEIVED", Decimal("500.00"))
    assert "signs" in parsed.details


def test_venmo_fragment_needs_a_mapping(bank_exports: Path) -> None:
    with pytest.raises(MappingNeeded) as raised:
        read(bank_exports, "multi-line-field.csv")
    assert raised.value.guess is not None
    assert raised.value.guess.date_column == 2
    assert raised.value.guess.amount_column == 8
    assert raised.value.sample_rows[0][7] == "Lyft, Inc"


def test_venmo_fragment_with_a_mapping_skips_the_multi_line_summary(bank_exports: Path) -> None:
    parsed = read(bank_exports, "multi-line-field.csv", VENMO_MAPPING)
    [transaction] = parsed.transactions
    assert transaction.line == 1
    assert transaction.date == date(2002, 9, 10)
    assert transaction.amount == Decimal("-21.59")
    assert transaction.description == "Lyft, Inc"
    assert transaction.external_id == "311053760"
    assert parsed.details["skipped_rows"] == 'line 2 "$23.40 $0.00 $0.00 In case of errors or questions about you…"'


def test_nationwide_paid_out_and_paid_in_told_apart_by_the_balance(bank_exports: Path) -> None:
    parsed = read(bank_exports, "nationwide.csv")
    assert amounts(parsed) == [Decimal("500.00"), Decimal("-20.00"), Decimal("-19.77"), Decimal("-100.00")]
    assert sum(amounts(parsed)) == Decimal("360.23")
    assert [t.date for t in parsed.transactions] == [
        date(2013, 11, 7), date(2013, 10, 9), date(2013, 12, 9), date(2013, 12, 10)
    ]
    assert parsed.statements[0].ledger_balance == Decimal("360.23")
    assert parsed.statements[0].balance_as_of == datetime(2013, 12, 10)


def test_outbank_short_us_dates_and_payee(bank_exports: Path) -> None:
    parsed = read(bank_exports, "outbank.csv")
    assert amounts(parsed) == [Decimal("100.00"), Decimal("-63.89"), Decimal("-47.00"), Decimal("-25.00")]
    assert sum(amounts(parsed)) == Decimal("-35.89")
    assert [t.date for t in parsed.transactions] == [
        date(2019, 2, 20), date(2019, 2, 8), date(2019, 1, 21), date(2019, 1, 5)
    ]
    gas = parsed.transactions[1]
    assert (gas.description, gas.memo, gas.category) == ("Shell Gas", "Shell Gas purchase MASTER 0123456789", "Travel")
    assert parsed.details["date_format"] == "M/D/YY"
    assert parsed.statements[0].currency == "EUR"
    assert all(t.external_id is None for t in parsed.transactions)  # "#" is a row number


def test_schwab_withdrawal_deposit_with_dollar_signs(bank_exports: Path) -> None:
    parsed = read(bank_exports, "schwab-checking.csv")
    assert amounts(parsed) == [Decimal("20.00"), Decimal("-103.00"), Decimal("-75.00"), Decimal("-57.27")]
    assert sum(amounts(parsed)) == Decimal("-215.27")
    assert {t.status for t in parsed.transactions} == {POSTED}
    assert parsed.statements[0].ledger_balance == Decimal("878.47")
    assert parsed.statements[0].balance_as_of == datetime(2022, 8, 17)


def test_ubs_balance_is_taken_from_the_latest_date_not_the_first_row(bank_exports: Path) -> None:
    parsed = read(bank_exports, "ubs-ch-fr_trimmed.csv")
    assert [(t.date, t.amount) for t in parsed.transactions] == [
        (date(2019, 3, 31), Decimal("-10.00")),
        (date(2019, 2, 28), Decimal("240.00")),
        (date(2019, 4, 27), Decimal("-200.00")),
    ]
    assert [t.external_id for t in parsed.transactions] == ["A01234BC01234567", "3456789ZT1234567", "9979360TI2115087"]
    assert parsed.transactions[0].description == "Solde prix prestations"
    assert parsed.statements[0].ledger_balance == Decimal("11413.94")
    assert parsed.statements[0].balance_as_of == datetime(2019, 4, 27)
    assert parsed.statements[0].currency == "CHF"


def test_xero_journal_with_old_mac_line_endings(bank_exports: Path) -> None:
    parsed = read(bank_exports, "xero.csv")
    assert len(parsed.transactions) == 13
    assert sum(amounts(parsed)) == 0  # journals balance
    first, last = parsed.transactions[0], parsed.transactions[-1]
    assert (first.line, first.date, first.amount) == (2, date(2015, 1, 23), Decimal("-36000"))
    assert (last.line, last.date, last.amount) == (14, date(2015, 2, 14), Decimal("-209000"))
    assert last.description == "Transfer to Checking"
    assert all(t.external_id is None for t in parsed.transactions)  # Reference repeats per journal


# Small files written here


def one_amount(text: str) -> Decimal:
    [transaction] = parse(text.encode()).transactions
    return transaction.amount


def test_utf16_with_bom() -> None:
    parsed = parse("Date,Description,Amount\r\n2024-03-01,Café crème,-3.50\r\n".encode("utf-16"))
    assert parsed.encoding == "utf-16"
    assert parsed.transactions[0].description == "Café crème"
    assert parsed.transactions[0].amount == Decimal("-3.50")


def test_windows_1252_accented_text() -> None:
    data = "Datum;Omschrijving;Bedrag\n01-03-2024;Crème brûlée – “deluxe”;-4,50\n".encode("cp1252")
    parsed = parse(data)
    assert parsed.encoding == "windows-1252"
    assert parsed.transactions[0].description == "Crème brûlée – “deluxe”"
    assert parsed.transactions[0].amount == Decimal("-4.50")


@pytest.mark.parametrize(("delimiter", "name"), [("\t", "tab"), ("|", "pipe")])
def test_tab_and_pipe_delimiters(delimiter: str, name: str) -> None:
    text = delimiter.join(["Date", "Description", "Amount"]) + "\n"
    text += delimiter.join(["2024-03-01", "Rent, March", "-950.00"]) + "\n"
    parsed = parse(text.encode())
    assert parsed.details["delimiter"] == name
    assert parsed.transactions[0].description == "Rent, March"
    assert parsed.transactions[0].amount == Decimal("-950.00")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("(1.00)", "-1.00"),
        ("1.00-", "-1.00"),
        ("£-1.00", "-1.00"),
        ('"- $21.59"', "-21.59"),
        ('"$1,036.47"', "1036.47"),
        ("1'234.56", "1234.56"),
    ],
)
def test_amount_notations(cell: str, expected: str) -> None:
    assert one_amount(f"Date,Description,Amount\n2024-03-01,Coffee,{cell}\n") == Decimal(expected)


def test_decimal_comma_with_dot_thousands() -> None:
    assert one_amount("Date;Description;Amount\n2024-03-01;Salary;1.234,56\n") == Decimal("1234.56")


def test_debit_column_is_money_out_whatever_its_sign() -> None:
    parsed = parse(b"Date,Description,Debit,Credit\n2024-03-01,A,-5.00,\n2024-03-02,B,5.00,\n2024-03-03,C,,7.00\n")
    assert amounts(parsed) == [Decimal("-5.00"), Decimal("-5.00"), Decimal("7.00")]


def test_date_format_is_decided_by_all_rows_together() -> None:
    day_first = parse(b"Date,Description,Amount\n01/02/2024,A,-1.00\n28/02/2024,B,-2.00\n")
    assert day_first.transactions[0].date == date(2024, 2, 1)
    assert day_first.details["date_format"] == "DD/MM/YYYY"
    month_first = parse(b"Date,Description,Amount\n01/02/2024,A,-1.00\n02/28/2024,B,-2.00\n")
    assert month_first.transactions[0].date == date(2024, 1, 2)


def test_dates_that_fit_two_formats_need_a_mapping() -> None:
    data = b"Date,Description,Amount\n01/02/2024,A,-1.00\n03/04/2024,B,-2.00\n"
    with pytest.raises(MappingNeeded) as raised:
        parse(data)
    needed = raised.value
    assert needed.date_formats == ["DD/MM/YYYY", "MM/DD/YYYY"]
    assert needed.columns == ["Date", "Description", "Amount"]
    assert needed.sample_rows == [["01/02/2024", "A", "-1.00"], ["03/04/2024", "B", "-2.00"]]
    month_first = ColumnMapping.from_dict({**needed.guess.to_dict(), "date_format": "MM/DD/YYYY"})
    assert [t.date for t in parse(data, month_first).transactions] == [date(2024, 1, 2), date(2024, 3, 4)]


def test_impossible_date_reports_its_physical_line() -> None:
    data = b"Date,Description,Amount\n28/02/2024,A,1.00\n\n31/02/2024,B,2.00\n"
    with pytest.raises(ImportFileError) as raised:
        parse(data)
    assert raised.value.line == 4
    assert str(raised.value) == 'line 4: "31/02/2024" is not a date in DD/MM/YYYY'


def test_unreadable_amount_after_a_multi_line_field_reports_its_physical_line() -> None:
    data = b'Date,Description,Amount\r\n28/02/2024,"Standing order\r\nto landlord\nMarch",1.00\r\n29/02/2024,B,1.2.3\r\n'
    with pytest.raises(ImportFileError) as raised:
        parse(data)
    assert raised.value.line == 5
    assert raised.value.reason == '"1.2.3" in column Amount is not an amount'


def test_binary_junk_is_refused() -> None:
    with pytest.raises(ImportFileError, match="not text"):
        parse(random.Random(7).randbytes(4096))


@pytest.mark.parametrize("data", [b"", b"  \r\n\n", "\ufeff".encode()])
def test_empty_file_is_refused(data: bytes) -> None:
    with pytest.raises(ImportFileError, match="empty"):
        parse(data)


def test_column_mapping_round_trips_through_json() -> None:
    mapping = ColumnMapping(
        date_column=0,
        date_format="DD.MM.YYYY",
        description_columns=(2, 3),
        debit_column=4,
        credit_column=5,
        balance_column=6,
        decimal_separator=",",
        negate=True,
        has_header=False,
    )
    assert ColumnMapping.from_dict(json.loads(json.dumps(mapping.to_dict()))) == mapping
    with pytest.raises(ValueError):
        ColumnMapping.from_dict({**mapping.to_dict(), "colour": "red"})
    with pytest.raises(ValueError):
        ColumnMapping.from_dict({**mapping.to_dict(), "amount_column": 7})  # amount and debit/credit


def test_mapping_negates_an_inverted_card_export_without_header() -> None:
    data = b"2024-03-01,Coffee,3.50\n2024-03-02,Payment,-100.00\n"
    mapping = ColumnMapping(date_column=0, date_format="YYYY-MM-DD", description_columns=(1,), amount_column=2,
                            negate=True, has_header=False)
    assert amounts(parse(data, mapping)) == [Decimal("-3.50"), Decimal("100.00")]


def test_ledger_balance_comes_from_the_latest_dated_row() -> None:
    data = b"Date,Description,Amount,Balance\n2024-03-02,B,-1.00,99.00\n2024-03-09,C,-2.00,97.00\n2024-03-05,D,-3.00,94.00\n"
    statement = parse(data).statements[0]
    assert statement.ledger_balance == Decimal("97.00")
    assert statement.balance_as_of == datetime(2024, 3, 9)


def test_pending_status_and_real_id_column() -> None:
    data = b"Date,Description,Amount,Status,Transaction ID\n2024-03-01,A,-1.00,Pending,tx-1\n2024-03-01,B,-1.00,Booked,tx-2\n"
    parsed = parse(data)
    assert [(t.status, t.external_id) for t in parsed.transactions] == [(PENDING, "tx-1"), (POSTED, "tx-2")]


def test_totals_row_and_blank_lines_are_skipped() -> None:
    data = b"Date,Description,Amount\n\n2024-03-01,A,-1.00\n2024-03-02,B,-2.00\n\n,Total,-3.00\n"
    parsed = parse(data)
    assert amounts(parsed) == [Decimal("-1.00"), Decimal("-2.00")]


def test_a_mapping_expecting_a_header_drops_only_a_row_that_is_not_data() -> None:
    mapping = ColumnMapping(date_column=0, date_format="DD/MM/YYYY", description_columns=(1,), amount_column=2)
    headerless = b"01/02/2024,Coffee,-3.50\n02/03/2024,Tea,-2.00\n"
    assert amounts(parse(headerless, mapping)) == [Decimal("-3.50"), Decimal("-2.00")]
    unknown_header = b"Wann,Was,Wieviel\n01/02/2024,Coffee,-3.50\n02/03/2024,Tea,-2.00\n"
    parsed = parse(unknown_header, mapping)
    assert amounts(parsed) == [Decimal("-3.50"), Decimal("-2.00")]
    assert parsed.details["header_line"] == "1"


def test_the_mapping_questions_are_sentences() -> None:
    with pytest.raises(MappingNeeded) as dates:
        parse(b"Date,Description,Amount\n01/02/2024,A,-1.00\n03/04/2024,B,-2.00\n")
    assert dates.value.reason == "The dates read as DD/MM/YYYY or as MM/DD/YYYY: which is it?"
    with pytest.raises(MappingNeeded) as amounts_and_dates:
        parse(b"Date,A,B,C\n01/02/2024,x,-1.00,2.00\n03/04/2024,y,-2.00,3.00\n04/05/2024,z,-2.00,\n")
    reason = amounts_and_dates.value.reason
    assert reason == ("2 columns hold amounts: which is the transaction amount? "
                      "The dates read as DD/MM/YYYY or as MM/DD/YYYY: which is it?")


def test_dashed_dates_are_day_first_unless_a_day_above_twelve_says_month_first() -> None:
    us = parse(b"Date,Description,Amount\n01-31-2025,A,-1.00\n02-03-2025,B,-2.00\n")
    assert [t.date for t in us.transactions] == [date(2025, 1, 31), date(2025, 2, 3)]
    assert us.details["date_format"] == "MM-DD-YYYY"
    dutch = parse(b"Datum;Omschrijving;Bedrag\n01-02-2025;Koffie;-3,50\n02-03-2025;Thee;-2,00\n")
    assert [t.date for t in dutch.transactions] == [date(2025, 2, 1), date(2025, 3, 2)]


def test_an_indicator_column_gives_the_sign_of_unsigned_amounts() -> None:
    data = b"Date,Name,Amount,Af Bij\n2024-01-02,Rent,500.00,Af\n2024-01-03,Salary,2000.00,Bij\n"
    parsed = parse(data)
    assert amounts(parsed) == [Decimal("-500.00"), Decimal("2000.00")]
    assert "indicator: Af Bij" in parsed.details["columns"]


def test_the_date_order_settles_dates_that_read_both_ways() -> None:
    data = b"Date,Description,Amount\n02/03/2025,Rent,-500.00\n"
    with pytest.raises(MappingNeeded, match="which is it"):
        parse(data)
    assert parse(data, date_order="dmy").transactions[0].date == date(2025, 3, 2)
    assert parse(data, date_order="mdy").transactions[0].date == date(2025, 2, 3)


def test_a_file_that_fails_whatever_the_date_order_says_so_with_its_line_before_asking() -> None:
    data = b"Date,Description,Amount\n02/03/2025,Rent,-500.00\n04/05/2025,Salary,12x34\n"
    with pytest.raises(ImportFileError) as error:
        parse(data)
    assert not isinstance(error.value, MappingNeeded)
    assert error.value.line == 3 and "is not an amount" in error.value.reason


@pytest.mark.parametrize(("header", "currency"), [
    ("Betrag (€)", "EUR"), ("Amount (EUR)", "EUR"), ("Amount [GBP]", "GBP"), ("Betrag", None), ("Amount ($)", None)])
def test_a_currency_named_in_the_amount_header_is_the_statements_currency(header: str, currency: str | None) -> None:
    data = f"Buchungsdatum;Verwendungszweck;{header}\n08.12.25;Miete;-200\n09.12.25;Gehalt;1.000,50\n".encode()
    parsed = parse(data)
    assert amounts(parsed) == [Decimal("-200"), Decimal("1000.50")]
    assert parsed.statements[0].currency == currency
    assert {t.currency for t in parsed.transactions} == {currency}


def test_a_currency_column_wins_over_the_header() -> None:
    parsed = parse("Date;Text;Amount (EUR);Currency\n2024-01-02;A;-1,00;CHF\n".encode())
    assert parsed.statements[0].currency == "CHF"


def test_the_booking_date_is_the_date_whichever_comes_first_and_the_value_date_is_named() -> None:
    data = b"Wertstellung;Buchung;Text;Betrag\n17.11.2025;18.11.2025;ATM;-500,00\n01.12.2025;28.11.2025;Rente;2.647,74\n"
    parsed = parse(data)
    assert [t.date for t in parsed.transactions] == [date(2025, 11, 18), date(2025, 11, 28)]
    assert parsed.details["columns"].startswith("value_date: Wertstellung, date: Buchung")
    only_value_date = parse(b"Valutadatum;Text;Betrag\n17.11.2025;ATM;-500,00\n")
    assert only_value_date.transactions[0].date == date(2025, 11, 17)


def test_a_repeated_column_name_is_kept_apart() -> None:
    data = b"Date,Description,Amount,Description\n2024-01-02,Shop,-1.00,card 1234\n2024-01-03,Bank,2.00,transfer\n"
    parsed = parse(data)
    assert [(t.description, t.amount) for t in parsed.transactions] == [
        ("Shop card 1234", Decimal("-1.00")), ("Bank transfer", Decimal("2.00"))]
    assert parsed.details["columns"] == (
        "date: Date, description: Description, amount: Amount, description: Description (2)")
    with pytest.raises(MappingNeeded) as needed:
        parse(b"A,B,B\nx,y,z\n")
    assert needed.value.columns == ["A", "B", "B (2)"]


def test_summary_rows_are_skipped_and_listed() -> None:
    data = ("Datum;Text;Betrag;Saldo\n01.03.2024;Miete;-500,00;1.500,00\n02.03.2024;Gehalt;2.000,00;3.500,00\n"
            "31.03.2024;Saldo;;3.500,00\n;Summe;1.500,00;\nTotal;;1.500,00;\n").encode()
    parsed = parse(data)
    assert amounts(parsed) == [Decimal("-500.00"), Decimal("2000.00")]
    assert parsed.details["skipped_rows"] == (
        'line 4 "31.03.2024 Saldo 3.500,00"; line 5 "Summe 1.500,00"; line 6 "Total 1.500,00"')


def test_pending_rows_import_as_pending_in_a_status_or_info_column() -> None:
    sparkasse = ('"Buchungstag";"Verwendungszweck";"Betrag";"Waehrung";"Info"\n'
                 '"05.12.25";"Shop";"-99,80";"EUR";"Umsatz vorgemerkt"\n"05.12.25";"Kosten";"-5,95";"EUR";"Umsatz gebucht"\n')
    assert [t.status for t in parse(sparkasse.encode()).transactions] == [PENDING, POSTED]
    paypal = ('"Datum","Name","Status","Währung","Netto"\n"14.07.2025","PayPal","Ausstehend","EUR","-13,21"\n'
              '"14.07.2025","Shop","Abgeschlossen","EUR","-13,21"\n')
    assert [t.status for t in parse(paypal.encode()).transactions] == [PENDING, POSTED]
    free_text_info = b"Date,Text,Amount,Info\n2024-01-02,A,-1.00,authorised by phone\n2024-01-03,B,-1.00,\n"
    assert [t.status for t in parse(free_text_info).transactions] == [POSTED, POSTED]


def test_money_out_and_in_columns_without_a_balance_are_told_apart_by_their_signs() -> None:
    data = b"03.11.2025;Lastschrift;-24,00;;\n04.11.2025;Entgelt;-6,95;;\n10.11.2025;Gutschrift;;83,16;\n"
    parsed = parse(data)
    assert amounts(parsed) == [Decimal("-24.00"), Decimal("-6.95"), Decimal("83.16")]


def test_a_row_short_of_a_cell_mid_row_is_realigned_and_said_so() -> None:
    data = ("Buchung;Wertstellungsdatum;Auftraggeber/Empfänger;Buchungstext;Verwendungszweck;Betrag;Währung\n"
            "29.11.2025;29.11.2025;Shop;Lastschrift;Kauf;-13,98;EUR\n"
            "28.11.2025;28.11.2025;Rente;RV-RENTE 11.2025;2.647,74;EUR\n").encode()
    parsed = parse(data)
    assert [(t.amount, t.currency) for t in parsed.transactions] == [
        (Decimal("-13.98"), "EUR"), (Decimal("2647.74"), "EUR")]
    assert parsed.details["short_rows_realigned"] == "line 3"


def test_ofx_style_date_times_and_one_digit_years_are_read() -> None:
    ofx_style = parse(b"DEBIT,20091224120000[0:GMT],SLICEHOST,-85.00\nCREDIT,20091223120000[-5:EST],Salary,3520.00\n")
    assert [t.date for t in ofx_style.transactions] == [date(2009, 12, 24), date(2009, 12, 23)]
    assert ofx_style.details["date_format"] == "OFX date-time"
    short_years = parse(b"10-Nov-9,-123.12,TRANSFER\n09-Nov-10,123.12,SALARY\n")
    assert [t.date for t in short_years.transactions] == [date(2009, 11, 10), date(2010, 11, 9)]


def test_a_balance_stated_above_the_header_is_the_statements_balance() -> None:
    dkb = ('"Girokonto";"DE42120300001033738756"\n\n"Kontostand vom 09.12.2025:";"4.093,32 €"\n""\n'
           '"Buchungsdatum";"Wertstellung";"Verwendungszweck";"Betrag (€)"\n"08.12.25";"08.12.25";"Miete";"200"\n')
    statement = parse(dkb.encode()).statements[0]
    assert (statement.ledger_balance, statement.balance_as_of) == (Decimal("4093.32"), datetime(2025, 12, 9))
    ing = "IBAN;DE89\nSaldo;66.331,90;EUR\n\nBuchung;Text;Betrag;Währung\n09.12.2025;Shop;-13,98;EUR\n"
    parsed = parse(ing.encode())
    assert (parsed.statements[0].ledger_balance, parsed.statements[0].balance_as_of) == (
        Decimal("66331.90"), datetime(2025, 12, 9))
    assert parsed.details["stated_balance"] == "66331.90 on line 2"


def test_a_mapping_names_a_currency_only_as_a_three_letter_code() -> None:
    mapping = ColumnMapping(date_column=0, date_format="YYYY-MM-DD", amount_column=1, currency="EUR")
    assert ColumnMapping.from_dict(json.loads(json.dumps(mapping.to_dict()))) == mapping
    with pytest.raises(ValueError, match="three-letter code"):
        ColumnMapping(date_column=0, date_format="YYYY-MM-DD", amount_column=1, currency="€uro")
