from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from dashboard.importers import camt053
from dashboard.importers.records import PENDING, POSTED, ImportFileError


def statement_document(body: str, version: str = "camt.053.001.08", account_ccy: str = "<Ccy>EUR</Ccy>") -> bytes:
    """A camt.053 document whose single statement holds ``body`` (entries and balances)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{version}">
  <BkToCstmrStmt>
    <Stmt>
      <Id>1</Id>
      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id>{account_ccy}</Acct>
{body}
    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()


def entry(
    amount: str = "10.00", direction: str = "DBIT", status: str = "<Sts><Cd>BOOK</Cd></Sts>", extra: str = ""
) -> str:
    return f"""      <Ntry>
        <Amt Ccy="EUR">{amount}</Amt>
        <CdtDbtInd>{direction}</CdtDbtInd>
        {status}
        <BookgDt><Dt>2025-01-05</Dt></BookgDt>
        {extra}
      </Ntry>"""


def only_transaction(body: str, **kwargs):
    (transaction,) = camt053.parse(statement_document(body, **kwargs)).transactions
    return transaction


# --- the real exports ---------------------------------------------------------


def test_two_statements_for_one_iban_each_reconcile_to_their_closing_balance(bank_exports):
    parsed = camt053.parse((bank_exports / "camt053" / "camt053.v2.multi.statement.xml").read_bytes())

    assert parsed.details["version"] == "camt.053.001.02"
    first, second = parsed.statements
    assert first.account_id == second.account_id == "NL26VAYB8060476890"
    assert first.currency == second.currency == "EUR"
    assert (first.ledger_balance, second.ledger_balance) == (Decimal("27.00"), Decimal("20.00"))
    assert first.balance_as_of == second.balance_as_of == datetime(2014, 12, 31)
    opening_balances = (Decimal("18.15"), Decimal("27.00"))  # the OPBD of each statement
    for opening, statement in zip(opening_balances, parsed.statements):
        assert opening + sum(t.amount for t in statement.transactions) == statement.ledger_balance

    credit, debit = parsed.transactions
    assert (credit.amount, credit.description, credit.external_id, credit.line) == (
        Decimal("8.85"),
        "Transaction Description 1",
        "000000001",
        66,
    )
    assert credit.counterparty is None  # only the creditor (the account holder) is named
    assert (debit.amount, debit.counterparty, debit.external_id, debit.line) == (
        Decimal("-7.00"),
        "Company Name 2",
        "000000002",
        145,
    )
    assert credit.date == debit.date == date(2014, 12, 31)  # booking date, not value date 2015-01-02
    assert all(t.status == POSTED and t.currency == "EUR" for t in parsed.transactions)


def test_three_decimal_amounts_stay_exact(bank_exports):
    parsed = camt053.parse((bank_exports / "camt053" / "camt053.v2.five.decimals.xml").read_bytes())

    (statement,) = parsed.statements
    (transaction,) = statement.transactions
    assert str(transaction.amount) == "8.850"
    assert str(statement.ledger_balance) == "27.050"
    # The file itself does not reconcile (OPBD 18.150 + 8.850 = 27.000): the 0.050 must survive.
    assert statement.ledger_balance - (Decimal("18.150") + transaction.amount) == Decimal("0.050")
    assert transaction.description == "Transaction Description"


def test_v8_statement_with_other_id_and_balances_in_foreign_currencies(bank_exports):
    parsed = camt053.parse((bank_exports / "camt053" / "camt053.v8.xml").read_bytes())

    (statement,) = parsed.statements
    assert statement.account_id == "NL26VAYB8060476890"  # from Acct/Id/Othr/Id
    assert statement.currency == "EUR"  # no Acct/Ccy: the entries' currency
    assert statement.institution == "AAAA BANKEN"
    # CLBD is in SEK and CLAV in JPY: neither is a balance of this EUR account.
    assert statement.ledger_balance is None
    assert statement.available_balance is None
    assert statement.balance_as_of is None
    assert parsed.details["ignored balances"] == "CLBD 27.00 SEK (line 74); CLAV 2700 JPY (line 98)"

    (transaction,) = statement.transactions
    assert transaction.amount == Decimal("8.85")
    assert transaction.date == date(2014, 12, 31)  # BookgDt/DtTm
    assert transaction.status == POSTED  # <Sts><Cd>BOOK</Cd></Sts>
    assert transaction.external_id == "AAAASESS-FP-CN_98765/01"
    assert transaction.counterparty == "NAME NAME"  # a credit: the debtor paid us
    assert transaction.description == "NAME NAME"
    assert transaction.memo == "4654654654654654"  # the structured creditor reference
    assert transaction.line == 110


def test_every_camt_fixture_parses(bank_exports):
    files = sorted((bank_exports / "camt053").glob("*.xml"))
    assert len(files) == 3
    for path in files:
        assert camt053.parse(path.read_bytes()).transactions, path.name


# --- entries ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "status", "expected"),
    [
        ("camt.053.001.08", "<Sts><Cd>PDNG</Cd></Sts>", PENDING),
        ("camt.053.001.08", "<Sts><Cd>BOOK</Cd></Sts>", POSTED),
        ("camt.053.001.02", "<Sts>PDNG</Sts>", PENDING),
        ("camt.053.001.02", "<Sts>BOOK</Sts>", POSTED),
    ],
)
def test_booked_and_pending_entries_in_both_status_shapes(version, status, expected):
    assert only_transaction(entry(status=status), version=version).status == expected


def test_information_only_entries_are_not_transactions():
    parsed = camt053.parse(statement_document(entry("5.00", status="<Sts><Cd>INFO</Cd></Sts>") + entry("7.00")))

    assert [t.amount for t in parsed.transactions] == [Decimal("-7.00")]


def test_a_reversed_debit_is_money_back_from_the_original_creditor():
    parties = """<NtryDtls><TxDtls><RltdPties>
          <Dbtr><Pty><Nm>Account Holder</Nm></Pty></Dbtr>
          <Cdtr><Pty><Nm>Energy Co</Nm></Pty></Cdtr>
        </RltdPties></TxDtls></NtryDtls>"""
    debit = only_transaction(entry("42.00", "DBIT", extra=parties))
    reversal = only_transaction(entry("42.00", "CRDT", extra="<RvslInd>true</RvslInd>" + parties))

    assert (debit.amount, debit.counterparty) == (Decimal("-42.00"), "Energy Co")
    assert (reversal.amount, reversal.counterparty) == (Decimal("42.00"), "Energy Co")
    assert debit.amount + reversal.amount == 0


def test_value_date_when_there_is_no_booking_date():
    body = """<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>PDNG</Cd></Sts>
        <ValDt><DtTm>2025-02-03T23:30:00+01:00</DtTm></ValDt></Ntry>"""

    assert only_transaction(body).date == date(2025, 2, 3)


def test_references_descriptions_and_missing_ids():
    unstructured = (
        "<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>"
        "<RmtInf><Ustrd>Invoice 17</Ustrd></RmtInf></TxDtls></NtryDtls>"
    )
    with_info = "<NtryRef>E-1</NtryRef><AddtlNtryInf>CARD PAYMENT SHOP</AddtlNtryInf>" + unstructured

    plain = only_transaction(entry(extra=unstructured))
    described = only_transaction(entry(extra=with_info))

    assert (plain.description, plain.external_id, plain.memo) == ("Invoice 17", None, None)
    assert (described.description, described.external_id, described.memo) == ("CARD PAYMENT SHOP", "E-1", "Invoice 17")


def test_a_reference_repeated_within_the_account_is_not_used_as_id():
    parsed = camt053.parse(
        statement_document(
            entry("1.00", extra="<NtryRef>1</NtryRef>")
            + entry("2.00", extra="<NtryRef>1</NtryRef>")
            + entry("3.00", extra="<AcctSvcrRef>BANK-REF-3</AcctSvcrRef>")
        )
    )

    assert [t.external_id for t in parsed.transactions] == [None, None, "BANK-REF-3"]


def test_any_namespace_version_and_signed_closing_balances():
    balances = """
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1234.56</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2025-01-31</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLAV</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">500.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-02-01</Dt></Dt></Bal>"""
    parsed = camt053.parse(statement_document(balances + entry(), version="camt.053.001.13"))

    (statement,) = parsed.statements
    assert parsed.details["version"] == "camt.053.001.13"
    assert statement.account_id == "DE89370400440532013000"
    assert (statement.ledger_balance, statement.available_balance) == (Decimal("-1234.56"), Decimal("500.00"))
    assert statement.balance_as_of == datetime(2025, 1, 31)


# --- broken files ---------------------------------------------------------------


def test_truncated_document_is_refused_with_a_line():
    truncated = statement_document(entry())[:-60]

    with pytest.raises(ImportFileError) as error:
        camt053.parse(truncated)

    assert "not a valid XML document" in error.value.reason
    assert error.value.line == truncated.count(b"\n") + 1


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        (b"", 1, "empty"),
        (b"\x00\x01\x02\xff\xfe junk", 1, "not a valid XML document"),
        (b'<?xml version="1.0"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03">\n'
         b"<CstmrCdtTrfInitn/></Document>", 2, "not a camt.052, camt.053 or camt.054 message"),
    ],
)
def test_files_that_are_not_camt053_are_refused(data, line, reason):
    with pytest.raises(ImportFileError) as error:
        camt053.parse(data)

    assert error.value.line == line
    assert reason in error.value.reason


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (entry("12,50"), "unreadable amount '12,50'"),
        (entry(direction="MINUS"), "CdtDbtInd"),
        (entry(status="<Sts><Cd>WHAT</Cd></Sts>"), "unknown entry status"),
        (entry().replace("2025-01-05", "2025-02-30"), "impossible date"),
    ],
)
def test_bad_entries_name_the_line_of_the_entry_or_its_field(body, reason):
    document = statement_document(body)

    with pytest.raises(ImportFileError) as error:
        camt053.parse(document)

    assert reason in error.value.reason
    entry_line = document.decode().splitlines().index("      <Ntry>") + 1
    assert entry_line <= error.value.line <= entry_line + 4


def test_windows_1252_bytes_in_a_utf8_document_are_still_read():
    document = statement_document(entry(extra="<AddtlNtryInf>Caf\u00e9</AddtlNtryInf>")).replace(
        "Café".encode(), b"Caf\xe9"
    )

    parsed = camt053.parse(document)

    assert parsed.encoding == "windows-1252"
    assert parsed.transactions[0].description == "Café"


REAL_CAMT = Path(__file__).parent / "fixtures" / "real" / "camt"


@pytest.mark.parametrize("name", ["genkgo-camt052.v1.xml", "genkgo-camt052.v8.xml", "genkgo-camt054.v2.xml"])
def test_account_reports_and_notifications_read_like_statements(name):
    parsed = camt053.parse((REAL_CAMT / name).read_bytes())
    (transaction,) = parsed.transactions
    assert (transaction.amount, transaction.date, transaction.currency) == (Decimal("-200000"), date(2007, 10, 18), "SEK")
    assert parsed.statements[0].ledger_balance is None  # a report states no closing balance
