"""OFX, QFX and QBO files from real banks, read as a user would check them."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from dashboard.importers import ofx
from dashboard.importers.records import ImportFileError, ParsedFile

# Per statement: account id, type, currency, transactions, sum of amounts, ledger, available.
# Every value was read from the file's own text.
EXPECTED_STATEMENTS = {
    "ofx1-sgml/bank_medium.ofx": [
        ("12300 000012345678", "checking", "CAD", 3, "-345.27", "382.34", "682.34"),
    ],
    "ofx1-sgml/br_nubank_cc.ofx": [
        ("11111111-UUID-UUID-UUID-111111111111", "credit_card", "BRL", 6, "-1280.91", "-1280.91", None),
    ],
    "ofx1-sgml/checking.ofx": [
        ("1452687~7", "checking", "USD", 3, "-59.50", "100.99", "75.99"),
    ],
    "ofx1-sgml/example.qbo": [
        ("011016298027", "checking", "CAD", 10, "-120.48", "368.62", "469.82"),
        ("122384459041", None, "CAD", 4, "-437.82", "2468.87", "4469.99"),  # ACCTTYPE BJNZDIF
        ("2542393734236684", "credit_card", "CAD", 9, "-133.51", "0.00", "0.00"),
    ],
    "ofx1-sgml/ofx-v102-empty-tags.ofx": [
        ("12345678", None, "AUD", 1, "12.34", None, None),
    ],
    "ofx1-sgml/ofxdownload.ofx": [
        ("379700001111222", "credit_card", "USD", 12, "-352.82", "-2356.38", None),
    ],
    "ofx2-xml/anzcc.ofx": [
        ("1234123412341234", "credit_card", "AUD", 1, "-5.50", "-123.45", "123.45"),
    ],
    "ofx2-xml/multiple_accounts2.ofx": [
        ("9100", "checking", "USD", 0, "0", "111", None),
        ("9200", "savings", "USD", 0, "0", "222", None),
    ],
    "ofx2-xml/stmtrs.ofx": [
        ("999988", "checking", "USD", 2, "-500.00", "200.29", "200.29"),
    ],
    "ofx2-xml/stmtrs_euro.ofx": [
        ("999988", "checking", "USD", 2, "-500.00", "200.29", "200.29"),
    ],
    "ofx2-xml/suncorp.ofx": [
        ("123456789", "checking", "AUD", 1, "-16.85", "1234.12", "1234.12"),
    ],
    "qfx/chase_cc.qfx": [
        ("0123012301230123", "credit_card", "USD", 1, "-10.00", "-10.00", "90.00"),
    ],
    "qfx/html-vals.qfx": [
        ("00000 00-00000", "checking", "CAD", 2, "-2.00", "1111.11", "1111.11"),
    ],
}

OFX_ONE_LINE = (
    b"OFXHEADER:100 DATA:OFXSGML VERSION:102 SECURITY:NONE ENCODING:USASCII CHARSET:1252 "
    b"COMPRESSION:NONE OLDFILEUID:NONE NEWFILEUID:NONE <OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS>"
    b"<CURDEF>EUR<BANKACCTFROM><BANKID>1<ACCTID>42<ACCTTYPE>SAVINGS</BANKACCTFROM>"
    b"<BANKTRANLIST><STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240102<TRNAMT>-1234,56<FITID>A1<NAME>Rent"
    b"</STMTTRN></BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
)


def parse_fixture(bank_exports: Path, name: str) -> ParsedFile:
    return ofx.parse((bank_exports / name).read_bytes())


def optional_decimal(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


def test_the_table_covers_every_ofx_fixture(bank_exports: Path) -> None:
    on_disk = {
        path.relative_to(bank_exports).as_posix()
        for folder in ("ofx1-sgml", "ofx2-xml", "qfx")
        for path in (bank_exports / folder).iterdir()
    }
    assert on_disk == set(EXPECTED_STATEMENTS)


@pytest.mark.parametrize("name", sorted(EXPECTED_STATEMENTS))
def test_statements_match_the_file(bank_exports: Path, name: str) -> None:
    parsed = parse_fixture(bank_exports, name)

    assert parsed.format == "ofx"
    assert parsed.details["statements"] == str(len(EXPECTED_STATEMENTS[name]))
    read = [
        (
            s.account_id,
            s.account_type,
            s.currency,
            len(s.transactions),
            sum((t.amount for t in s.transactions), Decimal(0)),
            s.ledger_balance,
            s.available_balance,
        )
        for s in parsed.statements
    ]
    expected = [
        (account, kind, currency, count, Decimal(total), optional_decimal(ledger), optional_decimal(available))
        for account, kind, currency, count, total, ledger, available in EXPECTED_STATEMENTS[name]
    ]
    assert read == expected
    assert all(type(t.amount) is Decimal for t in parsed.transactions)
    assert all(type(s.ledger_balance) is Decimal for s in parsed.statements if s.ledger_balance is not None)


@pytest.mark.parametrize(
    ("name", "index", "posted", "amount", "fitid"),
    [
        ("ofx1-sgml/bank_medium.ofx", 0, date(2009, 4, 1), "-6.60", "0000123456782009040100001"),
        ("ofx1-sgml/br_nubank_cc.ofx", 5, date(2024, 3, 22), "-959.00", "11111111-UUID-427c-8fc0-111111111111"),
        ("ofx1-sgml/checking.ofx", 0, date(2011, 3, 31), "0.01", "0000486"),
        ("ofx1-sgml/example.qbo", 22, date(2013, 8, 3), "126.57", "89008210112118684B8297P72103Y"),
        ("ofx1-sgml/ofxdownload.ofx", 3, date(2013, 12, 5), "-42.4", "320133390419136515"),
        ("ofx2-xml/anzcc.ofx", 0, date(2017, 5, 8), "-5.50", "201705080001"),
        ("ofx2-xml/stmtrs.ofx", 1, date(2005, 10, 20), "-300.00", "00003"),
        ("ofx2-xml/stmtrs_euro.ofx", 0, date(2005, 10, 4), "-200.00", "00002"),
        ("ofx2-xml/suncorp.ofx", 0, date(2013, 12, 15), "-16.85", "1"),
        ("qfx/chase_cc.qfx", 0, date(2020, 1, 1), "-10.00", "2020010112341234123412341234123"),
    ],
)
def test_transactions_keep_date_amount_and_fitid(
    bank_exports: Path, name: str, index: int, posted: date, amount: str, fitid: str
) -> None:
    transaction = parse_fixture(bank_exports, name).transactions[index]

    assert (transaction.date, transaction.amount, transaction.external_id) == (posted, Decimal(amount), fitid)


def test_dates_stay_on_the_day_the_bank_wrote_whatever_the_time_zone() -> None:
    midnight_in_sydney = OFX_ONE_LINE.replace(b"20240102", b"20240102000000[+10:AEST]")

    assert ofx.parse(midnight_in_sydney).transactions[0].date == date(2024, 1, 2)


@pytest.mark.parametrize(
    ("name", "as_of"),
    [
        ("ofx1-sgml/bank_medium.ofx", datetime(2009, 5, 23, 12, 20, 17, tzinfo=timezone.utc)),
        ("ofx1-sgml/br_nubank_cc.ofx", datetime(2024, 3, 25, 3, 0, tzinfo=timezone.utc)),  # [-3:GMT]
        ("ofx1-sgml/example.qbo", datetime(2013, 9, 28, tzinfo=timezone.utc)),
        ("ofx1-sgml/ofxdownload.ofx", datetime(2013, 12, 18, 12, 0, tzinfo=timezone.utc)),  # [-7:MST]
        ("ofx2-xml/multiple_accounts2.ofx", datetime(2012, 6, 3, 20, 32, 20, tzinfo=timezone.utc)),  # [-7:PDT]
        ("ofx2-xml/stmtrs.ofx", datetime(2005, 10, 29, 11, 20, tzinfo=timezone.utc)),  # 12 digits
    ],
)
def test_balance_as_of_is_an_aware_datetime_from_dtasof(bank_exports: Path, name: str, as_of: datetime) -> None:
    assert {s.balance_as_of for s in parse_fixture(bank_exports, name).statements} == {as_of}


def test_fuller_memo_replaces_a_name_cut_short_and_check_number_is_kept(bank_exports: Path) -> None:
    dividend, withdrawal, check = parse_fixture(bank_exports, "ofx1-sgml/checking.ofx").transactions

    assert dividend.description == (
        "DIVIDEND EARNED FOR PERIOD OF 03/01/2011 THROUGH 03/31/2011 ANNUAL PERCENTAGE YIELD EARNED IS 0.05%"
    )
    assert withdrawal.description == "AUTOMATIC WITHDRAWAL, ELECTRIC BILL WEB(S )"
    assert check.description == "RETURNED CHECK FEE, CHECK # 319 FOR $45.33 ON 04/07/11"
    assert check.memo == "Check 319"


def test_name_is_the_description_and_a_different_memo_stays_the_memo(bank_exports: Path) -> None:
    first = parse_fixture(bank_exports, "ofx1-sgml/bank_medium.ofx").transactions[0]

    assert (first.description, first.memo) == ("MCDONALD'S #112", "POS MERCHANDISE;MCDONALD'S #112")


def test_cdata_name_with_fuller_memo(bank_exports: Path) -> None:
    (transaction,) = parse_fixture(bank_exports, "ofx2-xml/suncorp.ofx").transactions

    assert transaction.description == "EFTPOS WDL HANDYWAY ALDI STORE   GEELONG WEST VICAU"
    assert transaction.memo is None  # CHECKNUM 0 means no cheque


def test_transactions_without_name_or_memo_are_described_by_their_type(bank_exports: Path) -> None:
    check, atm = parse_fixture(bank_exports, "ofx2-xml/stmtrs.ofx").transactions

    assert (check.description, check.memo) == ("CHECK", "Check 1000")
    assert (atm.description, atm.memo) == ("ATM", None)


def test_html_entities_are_decoded_exactly_once(bank_exports: Path) -> None:
    hydro, rent = parse_fixture(bank_exports, "qfx/html-vals.qfx").transactions

    assert hydro.description == "PREAUTHORIZED DEBIT;B.C. HYDRO & POWER AUTHORITY;Electronic Funds Transfer"
    assert rent.description == "TPAY &lt;DEFTPYMT&gt;"


def test_a_name_of_only_digits_gives_way_to_the_memo(bank_exports: Path) -> None:
    hydro, _rent = parse_fixture(bank_exports, "qfx/html-vals.qfx").transactions

    assert hydro.memo == "000000000000000"
    assert "HYDRO" in hydro.description


def test_chase_name_with_a_non_ascii_character(bank_exports: Path) -> None:
    parsed = parse_fixture(bank_exports, "qfx/chase_cc.qfx")

    assert parsed.transactions[0].description == "SQ *ECCO UN POCO ¦ NATURA"
    assert parsed.encoding == "utf-8"


def test_windows_1252_bytes_declared_by_charset_1252(bank_exports: Path) -> None:
    as_exported = (bank_exports / "qfx/chase_cc.qfx").read_text("utf-8").encode("cp1252")

    parsed = ofx.parse(as_exported)

    assert parsed.transactions[0].description == "SQ *ECCO UN POCO ¦ NATURA"
    assert parsed.encoding == "cp1252"


def test_empty_tags_import_the_transaction_without_fitid_or_balance(bank_exports: Path) -> None:
    parsed = parse_fixture(bank_exports, "ofx1-sgml/ofx-v102-empty-tags.ofx")
    (statement,) = parsed.statements
    (transaction,) = statement.transactions

    assert transaction.external_id is None  # the loader hashes it instead
    assert (transaction.date, transaction.amount) == (date(2018, 5, 7), Decimal("12.34"))
    assert (transaction.description, transaction.currency) == ("CBA:Transfer", "AUD")
    assert statement.currency == "AUD"  # CURDEF is empty; the transaction's CURRENCY says AUD
    assert (statement.ledger_balance, statement.balance_as_of) == (None, None)


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("ofx1-sgml/bank_medium.ofx", [15, 16, 17]),
        ("ofx1-sgml/br_nubank_cc.ofx", [40, 48, 56, 64, 72, 80]),
        ("ofx1-sgml/example.qbo", [42, 50, 58]),
        ("ofx1-sgml/ofx-v102-empty-tags.ofx", [23]),  # after twelve blank lines and the header
        ("ofx1-sgml/ofxdownload.ofx", [11] * 12),  # the whole body is line 11
        ("ofx2-xml/stmtrs.ofx", [38, 45]),
    ],
)
def test_each_transaction_knows_the_line_of_its_stmttrn(bank_exports: Path, name: str, lines: list[int]) -> None:
    parsed = parse_fixture(bank_exports, name)

    assert [t.line for t in parsed.transactions][: len(lines)] == lines
    source_lines = (bank_exports / name).read_bytes().decode("ascii").splitlines()
    assert all("<STMTTRN>" in source_lines[t.line - 1] for t in parsed.transactions)


def test_a_file_on_one_line() -> None:
    (transaction,) = ofx.parse(OFX_ONE_LINE).transactions

    assert (transaction.line, transaction.amount, transaction.description) == (1, Decimal("-1234.56"), "Rent")


@pytest.mark.parametrize(
    ("name", "version", "encoding"),
    [
        ("ofx1-sgml/example.qbo", "OFX 102 (1.x SGML)", "cp1252"),
        ("ofx2-xml/stmtrs.ofx", "OFX 200 (2.x XML)", "utf-8"),
        ("ofx2-xml/anzcc.ofx", "OFX 203 (2.x XML)", "utf-8"),
        ("ofx2-xml/suncorp.ofx", "OFX 200 (2.x XML)", "ascii"),
    ],
)
def test_details_name_version_and_encoding(bank_exports: Path, name: str, version: str, encoding: str) -> None:
    details = parse_fixture(bank_exports, name).details

    assert (details["version"], details["encoding"]) == (version, encoding)


def test_truncated_file_is_refused_at_its_last_line(bank_exports: Path) -> None:
    whole = (bank_exports / "ofx1-sgml/checking.ofx").read_bytes()
    cut = whole[: whole.index(b"<TRNAMT>-25.00")]

    with pytest.raises(ImportFileError) as refused:
        ofx.parse(cut)

    assert "cut short" in refused.value.reason
    assert refused.value.line == cut.count(b"\n") + 1


@pytest.mark.parametrize(
    "junk",
    [b"", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01", b"Date,Amount\n2024-01-02,-3.50\n"],
)
def test_junk_is_refused_with_a_reason(junk: bytes) -> None:
    with pytest.raises(ImportFileError, match="not an OFX file"):
        ofx.parse(junk)


@pytest.mark.parametrize(
    ("broken", "replacement", "reason", "line"),
    [
        (b"<TRNAMT>-34.51", b"<TRNAMT>-34.5x1", "TRNAMT '-34.5x1' is not an amount", 57),
        (b"<TRNAMT>-34.51", b"<TRNAMT>NaN", "TRNAMT 'NaN' is not an amount", 57),
        (b"<DTPOSTED>20110405120000.000", b"<DTPOSTED>2011-04-05", "DTPOSTED '2011-04-05' is not an OFX date", 56),
        (b"<BALAMT>75.99", b"<BALAMT>75..99", "BALAMT '75..99' is not an amount", 77),
        (b"\t\t\t\t\t\t<TRNAMT>-34.51\n", b"", "a transaction has no TRNAMT", 54),
    ],
)
def test_unreadable_value_is_refused_at_its_line(
    bank_exports: Path, broken: bytes, replacement: bytes, reason: str, line: int
) -> None:
    whole = (bank_exports / "ofx1-sgml/checking.ofx").read_bytes()

    with pytest.raises(ImportFileError) as refused:
        ofx.parse(whole.replace(broken, replacement, 1))

    assert reason in refused.value.reason
    assert refused.value.line == line


def test_file_without_a_bank_or_card_statement_is_refused() -> None:
    sign_on_only = OFX_ONE_LINE[: OFX_ONE_LINE.index(b"<BANKMSGSRSV1>")] + b"</OFX>"

    with pytest.raises(ImportFileError, match="no bank or credit-card statement"):
        ofx.parse(sign_on_only)


REAL_OFX = Path(__file__).parent / "fixtures" / "real" / "ofx"


def test_an_investment_statement_gives_its_cash_rows_from_invbanktran():
    parsed = ofx.parse((REAL_OFX / "ofxparse-investment_medium.ofx").read_bytes())
    (statement,) = parsed.statements
    assert (statement.account_type, statement.currency, len(statement.transactions)) == ("investment", "CAD", 3)
    assert sum(t.amount for t in statement.transactions) == Decimal("-3.95")


def test_an_investment_statement_with_trades_only_is_refused_with_the_reason():
    with pytest.raises(ImportFileError, match="trades only"):
        ofx.parse((REAL_OFX / "asgrim-ofxdata-google.ofx").read_bytes())


def test_an_end_tag_that_closes_nothing_and_an_impossible_balance_time_are_not_refused(bank_exports: Path) -> None:
    whole = (bank_exports / "ofx1-sgml/checking.ofx").read_bytes()
    broken = whole.replace(b"</STMTTRN>", b"</STMTTRN></BANKACCTFROM>", 1)
    broken = re.sub(rb"(<LEDGERBAL>\s*<BALAMT>[^<]*\s*<DTASOF>\d{8})\d{6}", rb"\g<1>048208", broken)

    assert b"<DTASOF>20130525048208" in broken
    parsed = ofx.parse(broken)

    assert [t.amount for t in parsed.transactions] == [t.amount for t in ofx.parse(whole).transactions]
    assert parsed.statements[0].balance_as_of.date() == ofx.parse(whole).statements[0].balance_as_of.date()


def test_a_posted_date_with_an_impossible_time_keeps_its_date_and_an_impossible_day_is_refused(bank_exports):
    whole = (bank_exports / "ofx1-sgml/checking.ofx").read_bytes()
    first_posted = re.search(rb"<DTPOSTED>(\d{8})", whole)
    late = whole.replace(first_posted.group(), first_posted.group() + b"048208", 1)
    late = re.sub(rb"(<DTPOSTED>\d{8}048208)\d+(\.\d+)?", rb"\1", late, count=1)

    assert [t.date for t in ofx.parse(late).transactions] == [t.date for t in ofx.parse(whole).transactions]
    with pytest.raises(ImportFileError, match="not an OFX date"):
        ofx.parse(whole.replace(first_posted.group(), b"<DTPOSTED>" + first_posted.group(1)[:6] + b"32", 1))


def test_two_different_transactions_sharing_one_fitid_are_both_kept() -> None:
    body = (b"<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD<BANKACCTFROM><ACCTID>1<ACCTTYPE>CHECKING"
            b"</BANKACCTFROM><BANKTRANLIST>"
            b"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240102<TRNAMT>-1.00<FITID>A<NAME>Tom & Jerry</STMTTRN>"
            b"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240103<TRNAMT>-2.00<FITID>A<NAME>Shop</STMTTRN>"
            b"</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>")  # no header, a raw &

    parsed = ofx.parse(body)

    assert [(t.amount, t.external_id, t.description) for t in parsed.transactions] == [
        (Decimal("-1.00"), None, "Tom & Jerry"), (Decimal("-2.00"), None, "Shop")]


WRAPPED_AND_MISORDERED = b"""OFXHEADER:100
DATA:OFXSGML
VERSION:102

<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>USD
<BANKACCTFROM><BANKID>1<ACCTID>2<ACCTTYPE>CHECKING</BANKACCTFROM>
<BANKTRANLIST><DTSTART>20200101<DTEND>20200131
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20200105<TRNAMT>
 -1.50<FITID>a1<NAME>COFFEE SHOP
  DOWNTOWN<MEMO>card
payment 1234</STMTTRN>
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20200106<TRNAMT>-2.50<FITID>a2<NAME>BAKERY</MEMO></STMTTRN>
<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20200107<TRNAMT>3.50<FITID>a3<NAME>REFUND</NAME></BANKTRANLIST></STMTTRN>
<LEDGERBAL><BALAMT>10.00<DTASOF>20200131</STMTRS></LEDGERBAL></STMTTRNRS></BANKMSGSRSV1></OFX>
"""


def test_values_wrapped_over_lines_are_joined_and_misordered_end_tags_are_read_as_sgml() -> None:
    """A leaf closed by another's end tag, a list closed before its last row, a balance closed after its statement."""
    (statement,) = ofx.parse(WRAPPED_AND_MISORDERED).statements

    assert [(t.date, t.amount, t.description, t.memo, t.line) for t in statement.transactions] == [
        (date(2020, 1, 5), Decimal("-1.50"), "COFFEE SHOP DOWNTOWN", "card payment 1234", 8),
        (date(2020, 1, 6), Decimal("-2.50"), "BAKERY", None, 12),
        (date(2020, 1, 7), Decimal("3.50"), "REFUND", None, 13),
    ]
    assert statement.ledger_balance == Decimal("10.00")
