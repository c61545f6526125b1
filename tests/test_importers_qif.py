from datetime import date
from decimal import Decimal

import pytest

from dashboard.importers import qif
from dashboard.importers.records import POSTED, ImportFileError


def parse_text(text: str):
    return qif.parse(text.encode("utf-8"))


def only_transaction(text: str):
    (transaction,) = parse_text(text).transactions
    return transaction


# --- the real exports ---------------------------------------------------------


def test_data_with_categories_has_three_payments_on_19_december_2018(bank_exports):
    parsed = qif.parse((bank_exports / "qif" / "data-with-categories.qif").read_bytes())

    (statement,) = parsed.statements
    assert statement.account_id is None
    assert statement.account_type == "checking"
    assert [(t.date, t.amount, t.description, t.category, t.line) for t in statement.transactions] == [
        (date(2018, 12, 19), Decimal("-100.58"), "Outlet", "Usual Expenses:Shopping", 2),
        (date(2018, 12, 19), Decimal("-20.15"), "GroceriesYou", "Groceries", 7),
        (date(2018, 12, 19), Decimal("-40.60"), "RestaurantExample", "Food", 12),
    ]
    assert sum(t.amount for t in parsed.transactions) == Decimal("-161.33")
    assert all(t.status == POSTED and t.external_id is None for t in parsed.transactions)


def test_ubs_export_keeps_bank_ids_iso_dates_and_accents(bank_exports):
    parsed = qif.parse((bank_exports / "qif" / "ubs-ch-fr.qif").read_bytes())

    (statement,) = parsed.statements
    assert statement.account_id == "0123 45678901.23A"
    assert parsed.encoding == "utf-8"
    rows = [(t.date, t.amount, t.external_id, t.line) for t in statement.transactions]
    assert rows == [
        (date(2019, 3, 31), Decimal("-10.00"), "A01234BC01234567", 6),
        (date(2019, 2, 28), Decimal("240.00"), "3456789ZT1234567", 12),
        (date(2019, 4, 27), Decimal("-200.00"), "9979360TI2115087", 19),
    ]
    assert sum(t.amount for t in statement.transactions) == Decimal("30.00")
    first, second, third = statement.transactions
    assert first.description == "Solde prix prestations"  # no P line: the memo stands in
    assert second.description == "ASSOCIATION FOO-BAR"
    assert second.category == "Virement postal: ASSOCIATION FOO-BAR"
    assert second.memo.startswith("ASSOCIATION FOO-BAR: BVD DE QUELQUE-PART 1")
    assert third.description == "Quuz-baz SàrL, CH - 1203 GENEVE, E-Banking CHF intérieur"


def test_xero_export_gives_one_statement_per_account_with_splits_kept_whole(bank_exports):
    parsed = qif.parse((bank_exports / "qif" / "xero.qif").read_bytes())

    by_account = {s.account_id: s for s in parsed.statements}
    assert list(by_account) == ["Income", "Cash", "Checking"]
    assert by_account["Cash"].account_type == "cash"
    assert [len(s.transactions) for s in parsed.statements] == [1, 3, 1]

    (sale,) = by_account["Income"].transactions
    assert (sale.date, sale.amount, sale.description) == (date(2015, 1, 23), Decimal("149000.00"), "Sales")
    assert sale.line == 6
    assert sale.category == "Cash"  # both splits are Cash
    assert sale.memo == "Bicycle Office; Charger Office; #INV-0001"
    assert sale.external_id is None  # an invoice number is not a bank transaction id

    cash = by_account["Cash"].transactions
    assert [t.date for t in cash] == [date(2015, 1, 25), date(2015, 1, 24), date(2015, 1, 25)]
    assert sum(t.amount for t in cash) == Decimal("-173000.00")
    assert [t.line for t in cash] == [22, 47, 56]
    assert by_account["Checking"].transactions[0].amount == Decimal("-209000.00")
    assert sum(t.amount for t in parsed.transactions) == Decimal("-233000.00")


def test_every_qif_fixture_parses(bank_exports):
    files = sorted((bank_exports / "qif").glob("*.qif"))
    assert len(files) == 3
    for path in files:
        assert qif.parse(path.read_bytes()).transactions, path.name


# --- dates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1/ 5'25", date(2025, 1, 5)),
        ("1/5'2025", date(2025, 1, 5)),
        ("01/05/2025", date(2025, 1, 5)),
        ("12/19/18", date(2018, 12, 19)),
        ("1/ 5/98", date(1998, 1, 5)),
        ("2025-01-05", date(2025, 1, 5)),
        ("05.01.2025", date(2025, 1, 5)),
    ],
)
def test_date_forms_banks_write(written, expected):
    assert only_transaction(f"!Type:Bank\nD{written}\nT-1.00\n^\n").date == expected


def test_a_day_above_twelve_anywhere_makes_the_whole_file_day_first():
    parsed = parse_text("!Type:Bank\nD01/03/2025\nT-1.00\n^\nD28/02/2025\nT-2.00\n^\n")

    assert [t.date for t in parsed.transactions] == [date(2025, 3, 1), date(2025, 2, 28)]
    assert parsed.details["date order"] == "day/month"


def test_ambiguous_slashed_dates_are_month_first():
    parsed = parse_text("!Type:Bank\nD01/03/2025\nT-1.00\n^\nD02/12/2025\nT-2.00\n^\n")

    assert [t.date for t in parsed.transactions] == [date(2025, 1, 3), date(2025, 2, 12)]


@pytest.mark.parametrize(("option", "meant"), [("MDY", date(2023, 1, 2)), ("DMY", date(2023, 2, 1))])
def test_an_option_line_settles_dates_the_file_leaves_open(option, meant):
    """Finanzmanager writes ``!Option:MDY`` above month-first dates with dots, which would otherwise read day-first."""
    parsed = parse_text(f"!Option:{option}\n!Type:Bank\nD01.02.23\nT-1.00\n^\n")

    assert parsed.transactions[0].date == meant


@pytest.mark.parametrize(("order", "meant"), [("dmy", date(2025, 3, 1)), ("mdy", date(2025, 1, 3)), (None, date(2025, 1, 3))])
def test_the_users_date_order_settles_dates_that_read_both_ways(order, meant):
    parsed = qif.parse(b"!Type:Bank\nD01/03/2025\nT-1.00\n^\n", date_order=order)

    assert parsed.transactions[0].date == meant


def test_the_file_wins_over_the_users_date_order():
    assert qif.parse(b"!Type:Bank\nD01/28/2025\nT-1.00\n^\n", date_order="dmy").transactions[0].date == date(2025, 1, 28)
    assert qif.parse(b"!Option:MDY\n!Type:Bank\nD01/03/2025\nT-1.00\n^\n", date_order="dmy").transactions[0].date \
        == date(2025, 1, 3)


def test_iso_dates_need_no_date_order():
    assert "date order" not in parse_text("!Type:Bank\nD2022-09-23\nT-1.00\n^\n").details


def test_a_day_above_twelve_wins_over_the_option_line():
    assert parse_text("!Option:DMY\n!Type:Bank\nD10.18.23\nT-1.00\n^\n").transactions[0].date == date(2023, 10, 18)


def test_comment_lines_before_the_first_section_are_not_data():
    parsed = parse_text("### exported for a test ###\n\n!Type:Bank\nD02/10'2020\nT-1.00\n^\n")

    assert [(t.date, t.line) for t in parsed.transactions] == [(date(2020, 2, 10), 4)]


def test_a_file_mixing_both_orders_is_refused_at_the_later_line():
    with pytest.raises(ImportFileError) as error:
        parse_text("!Type:Bank\nD28/02/2025\nT-1.00\n^\nD02/28/2025\nT-2.00\n^\n")

    assert error.value.line == 5


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("!Type:Bank\nD01/05/2025\nT-1.00\n^\nD02/30/2025\nT-2.00\n^\n", 5, "impossible date"),
        ("!Type:Bank\nD01/05/2025\nT-1.00\n^\nD13/13/2025\nT-2.00\n^\n", 5, "impossible date '13/13/2025'"),
        ("!Type:Bank\nPShop\nDyesterday\nT-1.00\n^\n", 3, "unreadable date"),
        ("!Type:Bank\nD01/05/2025\nT-1.00\n^\nD01/06/2025\nT12,34,5\n^\n", 6, "unreadable amount"),
        ("!Type:Bank\nD01/05/2025\nTabc\n^\n", 3, "unreadable amount"),
        ("!Type:Bank\nD01/05/2025\nT-1.00\n^\nPNo date\nT-2.00\n^\n", 5, "no date"),
        ("!Type:Bank\nD01/05/2025\nPNo amount\n^\n", 2, "no amount"),
    ],
)
def test_bad_records_name_their_physical_line(text, line, reason):
    with pytest.raises(ImportFileError) as error:
        parse_text(text)

    assert error.value.line == line
    assert reason in error.value.reason


def test_line_numbers_count_crlf_and_blank_lines():
    parsed = qif.parse(b"!Type:Bank\r\n\r\nD01/05/2025\r\nT-1.00\r\n^\r\n\r\nD01/06/2025\r\nT-2.00\r\n^\r\n")

    assert [t.line for t in parsed.transactions] == [3, 7]


# --- fields ---------------------------------------------------------------------


def test_amounts_with_thousands_separators_and_u_lines():
    parsed = parse_text(
        "!Type:Bank\nD01/05/2025\nT-1,234.56\n^\nD01/06/2025\nU12,345,678.9\n^\nD01/07/2025\nT1'500.00\n^\n"
    )

    assert [t.amount for t in parsed.transactions] == [
        Decimal("-1234.56"),
        Decimal("12345678.9"),
        Decimal("1500.00"),
    ]


def test_splits_with_different_categories_are_one_transaction_categorised_split():
    transaction = only_transaction(
        "!Type:Bank\nD01/05/2025\nPSupermarket\nT-60.00\nLFood:Groceries\n"
        "SFood:Groceries\nEFood\n$-45.00\nSHousehold\nESoap\n$-15.00\n^\n"
    )

    assert transaction.amount == Decimal("-60.00")
    assert transaction.category == "Split"
    assert transaction.memo == "Food; Soap"


def test_category_hierarchy_is_kept_and_bracketed_accounts_are_transfers():
    parsed = parse_text(
        "!Type:Bank\nD01/05/2025\nT-10.00\nLFood:Groceries\n^\nD01/06/2025\nT-500.00\nL[Savings]\n^\n"
    )

    assert [t.category for t in parsed.transactions] == ["Food:Groceries", "Transfers"]


def test_last_record_without_caret_still_counts():
    parsed = parse_text("!Type:Bank\nD01/05/2025\nT-1.00\n^\nD01/06/2025\nT-2.00\nPLast one")

    assert [t.description for t in parsed.transactions] == ["", "Last one"]
    assert parsed.transactions[1].amount == Decimal("-2.00")


def test_number_becomes_external_id_only_when_it_is_a_unique_bank_reference():
    parsed = parse_text(
        "!Type:Bank\n"
        "D01/05/2025\nT-1.00\nN1001\n^\n"  # cheque number
        "D01/05/2025\nT-2.00\nNATM\n^\n"
        "D01/06/2025\nT-3.00\nN20250106ABC123\n^\n"
        "D01/07/2025\nT-4.00\nNREF0000000001\n^\n"
        "D01/08/2025\nT-5.00\nNREF0000000001\n^\n"  # repeated: not an id
    )

    assert [t.external_id for t in parsed.transactions] == [None, None, "20250106ABC123", None, None]
    assert [t.memo for t in parsed.transactions] == ["#1001", "#ATM", None, "#REF0000000001", "#REF0000000001"]


def test_account_blocks_start_statements_and_other_sections_are_skipped():
    parsed = parse_text(
        "!Type:Cat\nNFood\nE\n^\n"
        "!Account\nNVisa\nTCCard\n^\n!Type:CCard\nD01/05/2025\nT-9.99\nPBooks\nC*\n^\n"
        "!Type:Memorized\nD01/06/2025\nT-5.00\nKC\n^\n"
        "!Account\nNCurrent\nTBank\n^\n!Type:Bank\nD01/07/2025\nT100.00\n^\n"
    )

    assert [(s.account_id, s.account_type, len(s.transactions)) for s in parsed.statements] == [
        ("Visa", "credit_card", 1),
        ("Current", "checking", 1),
    ]
    assert parsed.statements[0].transactions[0].status == POSTED  # C is a reconciliation mark
    assert parsed.details["skipped sections"] == "Type:Cat, Type:Memorized"


def test_a_bank_section_with_no_records_is_an_empty_statement():
    (statement,) = parse_text("!Type:Bank\n").statements

    assert statement.transactions == []


# --- what is not a QIF bank file --------------------------------------------------


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"", 1),
        (b"  \n\n", 1),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 2),  # "\x89PNG" is text in Windows-1252
        (b"!Type:Bank\nD01/05/2025\n\x00\x01\x02\x03\n", 3),
        (b"Date,Amount\n2025-01-05,-1.00\n", 1),
        (b"!Type:Cat\nNFood\n^\n", 1),
    ],
)
def test_files_that_are_not_qif_bank_exports_are_refused(data, line):
    with pytest.raises(ImportFileError) as error:
        qif.parse(data)

    assert error.value.line == line


def test_windows_1252_and_bom_are_decoded():
    cp1252 = qif.parse(b"!Type:Bank\nD01/05/2025\nT-3.50\nPCaf\xe9 cr\xe8me \x80\n^\n")
    with_bom = qif.parse("\ufeff!Type:Bank\nD01/05/2025\nT-3.50\nPCafé\n^\n".encode("utf-8"))

    assert (cp1252.encoding, cp1252.transactions[0].description) == ("cp1252", "Café crème €")
    assert (with_bom.encoding, with_bom.transactions[0].description) == ("utf-8-sig", "Café")


@pytest.mark.parametrize(
    ("written", "meant"),
    [("8/31' 0", date(2000, 8, 31)), ("1/ 5'98", date(1998, 1, 5)), ("03/25/099", date(1999, 3, 25)),
     ("1/5'25", date(2025, 1, 5)), ("12/31/99", date(1999, 12, 31))],
)
def test_quicken_dates_in_every_y2k_form(written: str, meant: date) -> None:
    parsed = qif.parse(f"!Type:Bank\nD{written}\nT-1.00\nPShop\n^\n".encode())
    assert parsed.transactions[0].date == meant


def test_lists_options_and_investment_sections_are_skipped_and_a_double_caret_ends_a_record():
    data = (b"!Option:AutoSwitch\n!Account\nNChecking\nTBank\n^\n!Clear:AutoSwitch\n!Type:Class\nNBusiness\n^\n"
            b"!Type:Cat\nNFood\nE\n^\n!Account\nNChecking\nTBank\n^\n"
            b"!Type:Bank\nD01/02/2024\nT-3.50\nPCoffee\n\nMMorning\n^^\nD01/03/2024\nT-4.00\nPTea\n^\n"
            b"!Type:Invst\nD01/04/2024\nNBuy\nYACME\nI10.00\nQ5\nT50.00\n^\n")
    parsed = qif.parse(data)

    assert [(s.account_id, [(t.date, t.amount, t.description, t.memo, t.line) for t in s.transactions])
            for s in parsed.statements] == [("Checking", [
                (date(2024, 1, 2), Decimal("-3.50"), "Coffee", "Morning", 19),  # the blank line stays inside
                (date(2024, 1, 3), Decimal("-4.00"), "Tea", None, 25)])]
    assert parsed.details["skipped sections"] == "Clear:AutoSwitch, Option:AutoSwitch, Type:Cat, Type:Class, Type:Invst"
